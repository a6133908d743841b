//! Fixtures shared by the crate's unit tests: those of [`crate::testing`], and checks of
//! replies made straight to a [`ProviderServer`].

use tonic::Request;

use crate::proto::tfplugin6 as pb;
use crate::proto::tfplugin6::provider_server::Provider as _;
use crate::server::ProviderServer;
use crate::testing::configure_request;
pub(crate) use crate::testing::{
    FixedProvider, assert_no_diagnostics, dv, errors, n, obj, s, undv,
};
use crate::value::{Type, Value};

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
        .configure_provider(Request::new(configure_request(
            config,
            ty,
            client_capabilities,
        )))
        .await
        .expect("OK status")
        .into_inner();
    assert_no_diagnostics(&reply.diagnostics);
}

/// Asserts that `diags` mention `text`, showing them all when they do not.
#[track_caller]
pub(crate) fn assert_mentions(diags: &[pb::Diagnostic], text: &str) {
    let all = errors(diags);
    assert!(all.contains(text), "{all}");
}
