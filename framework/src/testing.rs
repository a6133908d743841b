//! What tests of providers built on this crate share (hidden from the docs: not part of the
//! provider API): values built by hand, the msgpack wrapping RPCs carry them in, and a
//! provider that serves the handlers a test gives it.
#![allow(clippy::expect_used)] // for tests only: a failed expect is a failed test

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::action::DynAction;
use crate::context::{Context, ProviderData};
use crate::diag::Diagnostics;
use crate::ephemeral::DynEphemeralResource;
use crate::list::DynListResource;
use crate::proto::tfplugin6 as pb;
use crate::provider::{ConfigureRequest, Provider};
use crate::resource::DynResource;
use crate::schema::Schema;
use crate::value::{Number, Type, Value, msgpack};

/// A string value.
pub fn s(x: &str) -> Value {
    Value::String(x.into())
}

/// A whole number value.
pub fn n(x: i64) -> Value {
    Value::Number(Number::from_i64(x))
}

/// An object value with these attributes.
pub fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// `v` as Terraform sends it.
pub fn dv(v: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: msgpack::encode(v, ty).expect("encodable test value"),
        json: Vec::new(),
    })
}

/// The value inside a reply's dynamic value.
pub fn undv(d: Option<&pb::DynamicValue>, ty: &Type) -> Value {
    msgpack::decode(&d.expect("a value").msgpack, ty).expect("decodable reply")
}

/// The ConfigureProvider request Terraform 1.15.5 sends for `config` (of type `ty`).
pub fn configure_request(
    config: &Value,
    ty: &Type,
    client_capabilities: Option<pb::ClientCapabilities>,
) -> pb::configure_provider::Request {
    pb::configure_provider::Request {
        terraform_version: "1.15.5".into(),
        config: dv(config, ty),
        client_capabilities,
    }
}

/// Diagnostics as one text, for `contains` checks and failure messages.
pub fn errors(diags: &[pb::Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| format!("{} | {} | {:?}", d.summary, d.detail, d.attribute))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts that `diags` is empty, showing them all when it is not.
#[track_caller]
pub fn assert_no_diagnostics(diags: &[pb::Diagnostic]) {
    assert!(diags.is_empty(), "{}", errors(diags));
}

/// A provider that serves the handlers a test gives it: its block is `schema`, and configuring
/// it hands every handler `data`. A test sets the fields it needs over
/// [`FixedProvider::new`]: `FixedProvider { actions: vec![...], ..FixedProvider::new(..) }`.
pub struct FixedProvider {
    pub name: &'static str,
    pub schema: Schema,
    pub data: ProviderData,
    pub resources: Vec<Arc<dyn DynResource>>,
    pub actions: Vec<Arc<dyn DynAction>>,
    pub list_resources: Vec<Arc<dyn DynListResource>>,
    pub ephemeral_resources: Vec<Arc<dyn DynEphemeralResource>>,
}

impl FixedProvider {
    /// No arguments and no handlers.
    pub fn new(name: &'static str, data: ProviderData) -> Self {
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
