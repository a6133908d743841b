//! Fixtures shared by the crate's unit tests: values built by hand, the msgpack wrapping that
//! RPC requests and replies carry them in, and a provider that serves the handlers a test
//! gives it.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use tonic::Request;

use crate::action::DynAction;
use crate::context::{Context, ProviderData};
use crate::diag::Diagnostics;
use crate::ephemeral::DynEphemeralResource;
use crate::list::DynListResource;
use crate::proto::tfplugin6 as pb;
use crate::proto::tfplugin6::provider_server::Provider as _;
use crate::provider::{ConfigureRequest, Provider};
use crate::resource::DynResource;
use crate::schema::Schema;
use crate::server::ProviderServer;
use crate::value::{Number, Type, Value, msgpack};

/// A string value.
pub(crate) fn s(x: &str) -> Value {
    Value::String(x.into())
}

/// A whole number value.
pub(crate) fn n(x: i64) -> Value {
    Value::Number(Number::from_i64(x))
}

/// An object value with these attributes.
pub(crate) fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// `v` as Terraform sends it.
pub(crate) fn dv(v: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: msgpack::encode(v, ty).expect("encodable test value"),
        json: Vec::new(),
    })
}

/// The value inside a reply's dynamic value.
pub(crate) fn undv(d: Option<&pb::DynamicValue>, ty: &Type) -> Value {
    msgpack::decode(&d.expect("a value").msgpack, ty).expect("decodable reply")
}

/// The reply of an RPC, which always answers with an OK status (errors travel as diagnostics).
pub(crate) async fn answer_of<R>(
    call: impl std::future::Future<Output = Result<tonic::Response<R>, tonic::Status>>,
) -> R {
    call.await.expect("OK status").into_inner()
}

/// Configures `server` with `config` (of type `ty`) the way Terraform 1.15.5 does, and insists
/// that it worked.
pub(crate) async fn configure_with(
    server: &ProviderServer,
    config: &Value,
    ty: &Type,
    client_capabilities: Option<pb::ClientCapabilities>,
) {
    let reply = server
        .configure_provider(Request::new(pb::configure_provider::Request {
            terraform_version: "1.15.5".into(),
            config: dv(config, ty),
            client_capabilities,
        }))
        .await
        .expect("OK status")
        .into_inner();
    assert!(
        reply.diagnostics.is_empty(),
        "{}",
        errors(&reply.diagnostics)
    );
}

/// Asserts that `diags` mention `text`, showing them all when they do not.
#[track_caller]
pub(crate) fn assert_mentions(diags: &[pb::Diagnostic], text: &str) {
    let all = errors(diags);
    assert!(all.contains(text), "{all}");
}

/// Diagnostics as one text, for `contains` checks and failure messages.
pub(crate) fn errors(diags: &[pb::Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| format!("{} | {} | {:?}", d.summary, d.detail, d.attribute))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A provider that serves the handlers a test gives it: its block is `schema`, and configuring
/// it hands every handler `data`. A test sets the fields it needs over
/// [`FixedProvider::new`]: `FixedProvider { actions: vec![...], ..FixedProvider::new(..) }`.
pub(crate) struct FixedProvider {
    pub(crate) name: &'static str,
    pub(crate) schema: Schema,
    pub(crate) data: ProviderData,
    pub(crate) resources: Vec<Arc<dyn DynResource>>,
    pub(crate) actions: Vec<Arc<dyn DynAction>>,
    pub(crate) list_resources: Vec<Arc<dyn DynListResource>>,
    pub(crate) ephemeral_resources: Vec<Arc<dyn DynEphemeralResource>>,
}

impl FixedProvider {
    /// No arguments and no handlers.
    pub(crate) fn new(name: &'static str, data: ProviderData) -> Self {
        Self {
            name,
            schema: Schema::new(),
            data,
            resources: Vec::new(),
            actions: Vec::new(),
            list_resources: Vec::new(),
            ephemeral_resources: Vec::new(),
        }
    }
}

#[async_trait]
impl Provider for FixedProvider {
    type Config = serde_json::Value;
    fn type_name(&self) -> &str {
        self.name
    }
    fn schema(&self) -> Schema {
        self.schema.clone()
    }
    async fn configure(
        &self,
        _ctx: &Context,
        _req: ConfigureRequest<serde_json::Value>,
    ) -> Result<ProviderData, Diagnostics> {
        Ok(self.data.clone())
    }
    fn resources(&self) -> Vec<Arc<dyn DynResource>> {
        self.resources.clone()
    }
    fn actions(&self) -> Vec<Arc<dyn DynAction>> {
        self.actions.clone()
    }
    fn list_resources(&self) -> Vec<Arc<dyn DynListResource>> {
        self.list_resources.clone()
    }
    fn ephemeral_resources(&self) -> Vec<Arc<dyn DynEphemeralResource>> {
        self.ephemeral_resources.clone()
    }
}
