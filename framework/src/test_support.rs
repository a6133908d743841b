//! Fixtures shared by the crate's unit tests: values built by hand, the msgpack wrapping that
//! RPC requests and replies carry them in, and a provider that serves the handlers a test
//! gives it.

use std::collections::BTreeMap;

use tonic::Request;

use crate::proto::tfplugin6 as pb;
use crate::proto::tfplugin6::provider_server::Provider as _;
use crate::server::ProviderServer;
pub(crate) use crate::testing::FixedProvider;
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
