//! A do-nothing tfplugin6 provider used by tf-framework's own transport tests and startup
//! benchmark, so they exercise `tf_framework::serve` without depending on any real provider.
//!
//! Every RPC answers an empty, successful response, except `GetProviderSchema` (a fixed,
//! recognisable schema) and `CallFunction` named `panic` (panics on purpose, to test the
//! crash report Terraform sees).

use std::pin::Pin;

use futures::Stream;
use tf_framework::proto::tfplugin6 as pb;
use tf_framework::proto::tfplugin6::provider_server::Provider;
use tf_framework::{ServeOptions, serve};
use tonic::{Request, Response, Status, Streaming};

struct EchoProvider;

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

fn echo_schema() -> pb::Schema {
    pb::Schema {
        version: 1,
        block: Some(pb::schema::Block {
            attributes: vec![pb::schema::Attribute {
                name: "message".to_owned(),
                r#type: br#""string""#.to_vec(),
                optional: true,
                ..Default::default()
            }],
            ..Default::default()
        }),
    }
}

/// Expands to the `Provider` impl: listed unary RPCs answer `Default::default()`, listed
/// server-streaming RPCs an empty stream.
macro_rules! echo_provider_impl {
    (
        unary { $($rpc:ident => $msg:ident),* $(,)? }
        streams { $($s_rpc:ident($s_req:ty) -> $s_stream:ident of $s_item:ty;)* }
    ) => {
        #[tonic::async_trait]
        impl Provider for EchoProvider {
            $(
                async fn $rpc(
                    &self,
                    _request: Request<pb::$msg::Request>,
                ) -> Result<Response<pb::$msg::Response>, Status> {
                    Ok(Response::new(Default::default()))
                }
            )*

            $(
                type $s_stream = BoxStream<$s_item>;
                async fn $s_rpc(
                    &self,
                    _request: Request<$s_req>,
                ) -> Result<Response<Self::$s_stream>, Status> {
                    Ok(Response::new(Box::pin(futures::stream::empty())))
                }
            )*

            async fn get_provider_schema(
                &self,
                _request: Request<pb::get_provider_schema::Request>,
            ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
                Ok(Response::new(pb::get_provider_schema::Response {
                    provider: Some(echo_schema()),
                    resource_schemas: [("echo_thing".to_owned(), echo_schema())].into(),
                    server_capabilities: Some(pb::ServerCapabilities {
                        plan_destroy: true,
                        get_provider_schema_optional: true,
                        ..Default::default()
                    }),
                    ..Default::default()
                }))
            }

            async fn call_function(
                &self,
                request: Request<pb::call_function::Request>,
            ) -> Result<Response<pb::call_function::Response>, Status> {
                if request.get_ref().name == "panic" {
                    // Deliberate: the transport tests check the crash report Terraform sees.
                    panic!("echo provider asked to panic");
                }
                Ok(Response::new(Default::default()))
            }

            async fn write_state_bytes(
                &self,
                _request: Request<Streaming<pb::write_state_bytes::RequestChunk>>,
            ) -> Result<Response<pb::write_state_bytes::Response>, Status> {
                Ok(Response::new(Default::default()))
            }
        }
    };
}

echo_provider_impl! {
    unary {
        get_metadata => get_metadata,
        validate_provider_config => validate_provider_config,
        validate_resource_config => validate_resource_config,
        validate_data_resource_config => validate_data_resource_config,
        upgrade_resource_state => upgrade_resource_state,
        get_resource_identity_schemas => get_resource_identity_schemas,
        upgrade_resource_identity => upgrade_resource_identity,
        configure_provider => configure_provider,
        read_resource => read_resource,
        plan_resource_change => plan_resource_change,
        apply_resource_change => apply_resource_change,
        import_resource_state => import_resource_state,
        move_resource_state => move_resource_state,
        read_data_source => read_data_source,
        generate_resource_config => generate_resource_config,
        validate_ephemeral_resource_config => validate_ephemeral_resource_config,
        open_ephemeral_resource => open_ephemeral_resource,
        renew_ephemeral_resource => renew_ephemeral_resource,
        close_ephemeral_resource => close_ephemeral_resource,
        validate_list_resource_config => validate_list_resource_config,
        get_functions => get_functions,
        validate_state_store_config => validate_state_store,
        configure_state_store => configure_state_store,
        lock_state => lock_state,
        unlock_state => unlock_state,
        get_states => get_states,
        delete_state => delete_state,
        plan_action => plan_action,
        validate_action_config => validate_action_config,
        stop_provider => stop_provider,
    }
    streams {
        list_resource(pb::list_resource::Request) -> ListResourceStream of pb::list_resource::Event;
        read_state_bytes(pb::read_state_bytes::Request)
            -> ReadStateBytesStream of pb::read_state_bytes::Response;
        invoke_action(pb::invoke_action::Request) -> InvokeActionStream of pb::invoke_action::Event;
    }
}

#[tokio::main]
async fn main() {
    let debug = std::env::args()
        .skip(1)
        .any(|a| a == "--debug" || a == "-debug");
    let opts = ServeOptions::new("registry.terraform.io/tf-framework/echo").with_debug(debug);
    if let Err(err) = serve(EchoProvider, opts).await {
        eprintln!("{err}");
        std::process::exit(err.exit_code());
    }
}
