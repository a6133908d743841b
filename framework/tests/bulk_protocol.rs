//! The RPCs for adopting objects in bulk over real gRPC on a unix socket, as Terraform 1.12+
//! sends them: resource identity (GetResourceIdentitySchemas, import by identity, identity on
//! read), the ListResource server stream (limit, include_resource_object, a reader that hangs
//! up, a listing that panics), GenerateResourceConfig and the ephemeral resource life cycle.
//!
//! The provider here keeps 1,000 VMs in memory and counts what its listing produced, so the
//! tests can see a stream stop the provider's work, not just the client's reading.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use futures::StreamExt;
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use tf_framework::context::Context;
use tf_framework::diag::Diagnostics;
use tf_framework::ephemeral::{EphemeralResource, Opened, Renewed};
use tf_framework::identity::{IdentityAttribute, IdentityData, IdentitySchema};
use tf_framework::list::{ListRequest, ListResource, ListResults};
use tf_framework::proto::tfplugin6 as pb;
use tf_framework::proto::tfplugin6::provider_client::ProviderClient;
use tf_framework::proto::tfplugin6::provider_server::ProviderServer as ProviderService;
use tf_framework::resource::{CreateRequest, Resource};
use tf_framework::schema::{Attribute, Schema};
use tf_framework::server::ProviderServer;
use tf_framework::testing::{
    FixedProvider, assert_no_diagnostics, configure_request, dv, obj, s, undv,
};
use tf_framework::value::{Type, Value};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Notify;
use tokio_stream::wrappers::UnixListenerStream;
use tonic::transport::{Channel, Endpoint, Uri};

const VMS: usize = 1_000;
/// Bound on waiting for the provider to notice something; never reached when it works.
const NOTICE_WITHIN: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Fleet {
    vms: BTreeMap<String, VmState>,
    /// Objects the listing pushed and Terraform accepted.
    listed: AtomicU64,
    /// Signalled when a listing learns that no more results are wanted.
    stopped: Notify,
    closed: std::sync::Mutex<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct VmState {
    id: Option<String>,
    name: String,
    cores: Option<f64>,
    tier: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct VmIdentity {
    id: Option<String>,
}

struct Vm;

#[async_trait]
impl Resource for Vm {
    type State = VmState;
    fn type_name(&self) -> &str {
        "fleet_vm"
    }
    fn schema(&self) -> Schema {
        Schema::new()
            .attribute(Attribute::string("id").computed())
            .attribute(Attribute::string("name").required())
            .attribute(Attribute::number("cores").computed())
            .attribute(Attribute::string("tier").optional().default_string("tier1"))
    }
    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IdentitySchema::new().attribute(IdentityAttribute::string("id").required_for_import()))
    }
    fn identity(&self, state: &VmState) -> Result<IdentityData, Diagnostics> {
        IdentityData::new(&VmIdentity {
            id: state.id.clone(),
        })
    }
    async fn create(&self, _: &Context, _: CreateRequest<VmState>) -> Result<VmState, Diagnostics> {
        Err(Diagnostics::from_error(
            "read-only fleet",
            "VMs are only listed here",
        ))
    }
    async fn read(&self, ctx: &Context, state: VmState) -> Result<Option<VmState>, Diagnostics> {
        let fleet = ctx.provider_data::<Fleet>()?;
        Ok(state.id.and_then(|id| fleet.vms.get(&id).cloned()))
    }
    async fn delete(&self, _: &Context, _: VmState) -> Result<(), Diagnostics> {
        Ok(())
    }
    async fn import_by_identity(
        &self,
        ctx: &Context,
        identity: IdentityData,
    ) -> Result<VmState, Diagnostics> {
        let fleet = ctx.provider_data::<Fleet>()?;
        let id = identity.get::<VmIdentity>()?.id.unwrap_or_default();
        fleet
            .vms
            .get(&id)
            .cloned()
            .ok_or_else(|| Diagnostics::from_error("Not found", format!("no VM {id}")))
    }
}

#[derive(Debug, Deserialize)]
struct VmListConfig {
    explode: Option<bool>,
}

struct VmList;

#[async_trait]
impl ListResource for VmList {
    type Config = VmListConfig;
    type State = VmState;
    fn type_name(&self) -> &str {
        "fleet_vm"
    }
    fn schema(&self) -> Schema {
        Schema::new().attribute(Attribute::bool("explode").optional())
    }
    async fn list(
        &self,
        ctx: &Context,
        req: ListRequest<VmListConfig>,
        results: &ListResults<VmState>,
    ) -> Result<(), Diagnostics> {
        let fleet = ctx.provider_data::<Fleet>()?;
        for vm in fleet.vms.values() {
            if req.config.explode == Some(true) {
                panic!("the listing exploded");
            }
            if !results.push(vm.name.clone(), vm).await {
                assert!(
                    ctx.is_cancelled(),
                    "a stopped listing has its context cancelled"
                );
                fleet.stopped.notify_one();
                return Ok(());
            }
            fleet.listed.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct TokenState {
    scope: String,
    secret: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Handle {
    lease: String,
    generation: u32,
}

struct Token;

#[async_trait]
impl EphemeralResource for Token {
    type State = TokenState;
    type Private = Handle;
    fn type_name(&self) -> &str {
        "fleet_token"
    }
    fn schema(&self) -> Schema {
        Schema::new()
            .attribute(Attribute::string("scope").required())
            .attribute(Attribute::string("secret").computed().sensitive())
    }
    async fn open(
        &self,
        _ctx: &Context,
        mut config: TokenState,
    ) -> Result<Opened<TokenState, Handle>, Diagnostics> {
        config.secret = Some(format!("s3cr3t-{}", config.scope));
        Ok(Opened::new(config)
            .private(Handle {
                lease: "lease-9".into(),
                generation: 0,
            })
            .renew_at(SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000)))
    }
    async fn renew(
        &self,
        _ctx: &Context,
        private: Option<Handle>,
    ) -> Result<Renewed<Handle>, Diagnostics> {
        let mut handle = private.expect("the handle comes back");
        handle.generation += 1;
        Ok(Renewed {
            private: Some(handle),
            renew_at: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_060)),
        })
    }
    async fn close(&self, ctx: &Context, private: Option<Handle>) -> Result<(), Diagnostics> {
        let fleet = ctx.provider_data::<Fleet>()?;
        let handle = private.expect("the handle comes back");
        fleet
            .closed
            .lock()
            .expect("lock")
            .push(format!("{}#{}", handle.lease, handle.generation));
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Serving on a unix socket and talking to it.

struct Served {
    client: ProviderClient<Channel>,
    fleet: Arc<Fleet>,
    _dir: tempfile::TempDir,
}

async fn serve() -> Served {
    let fleet = Arc::new(Fleet {
        vms: (0..VMS)
            .map(|i| {
                let id = format!("vm-{i:04}");
                let vm = VmState {
                    id: Some(id.clone()),
                    name: format!("aix-{i:04}"),
                    cores: Some(0.5),
                    tier: Some("tier1".into()),
                };
                (id, vm)
            })
            .collect(),
        ..Fleet::default()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("plugin.sock");
    let listener = UnixListener::bind(&socket).expect("bind");
    let service = ProviderService::new(ProviderServer::new(FixedProvider {
        resources: vec![Arc::new(Vm)],
        list_resources: vec![Arc::new(VmList)],
        ephemeral_resources: vec![Arc::new(Token)],
        ..FixedProvider::new("fleet", fleet.clone())
    }));
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(UnixListenerStream::new(listener)),
    );
    // Small HTTP/2 windows, like a reader that takes its time: the server can run only a few
    // events ahead of what the client has read, so a hang-up reaches a listing still running.
    let channel = Endpoint::from_static("http://localhost")
        .initial_stream_window_size(Some(4096))
        .initial_connection_window_size(Some(4096))
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let socket = socket.clone();
            async move { Ok::<_, io::Error>(TokioIo::new(UnixStream::connect(&socket).await?)) }
        }))
        .await
        .expect("connect");
    let mut client = ProviderClient::new(channel);
    let configured = client
        .configure_provider(configure_request(
            &Value::Object(BTreeMap::new()),
            &Type::object::<String>([]),
            None,
        ))
        .await
        .expect("OK")
        .into_inner();
    assert_no_diagnostics(&configured.diagnostics);
    Served {
        client,
        fleet,
        _dir: dir,
    }
}

fn id_ty() -> Type {
    Type::object([("id", Type::String)])
}

fn vm_ty() -> Type {
    Vm.schema().object_type()
}

/// Every event of one listing.
async fn list_events(
    served: &mut Served,
    request: pb::list_resource::Request,
) -> Vec<pb::list_resource::Event> {
    served
        .client
        .list_resource(request)
        .await
        .expect("OK")
        .into_inner()
        .map(|e| e.expect("event"))
        .collect()
        .await
}

fn list_request(explode: bool, limit: i64, include: bool) -> pb::list_resource::Request {
    pb::list_resource::Request {
        type_name: "fleet_vm".into(),
        config: dv(
            &obj(&[("explode", Value::Bool(explode))]),
            &VmList.schema().object_type(),
        ),
        include_resource_object: include,
        limit,
    }
}

// ---------------------------------------------------------------------------------------------
// Tests.

#[tokio::test]
async fn identity_schemas_and_import_by_identity_over_the_wire() {
    let mut served = serve().await;
    let schemas = served
        .client
        .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
        .await
        .expect("OK")
        .into_inner();
    let vm = &schemas.identity_schemas["fleet_vm"];
    assert_eq!(vm.identity_attributes[0].name, "id");
    assert!(vm.identity_attributes[0].required_for_import);

    let schema = served
        .client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("OK")
        .into_inner();
    assert!(schema.list_resource_schemas.contains_key("fleet_vm"));
    assert!(
        schema
            .ephemeral_resource_schemas
            .contains_key("fleet_token")
    );
    assert!(
        schema
            .server_capabilities
            .expect("caps")
            .generate_resource_config
    );

    let imported = served
        .client
        .import_resource_state(pb::import_resource_state::Request {
            type_name: "fleet_vm".into(),
            identity: Some(pb::ResourceIdentityData {
                identity_data: dv(&obj(&[("id", s("vm-0042"))]), &id_ty()),
            }),
            ..Default::default()
        })
        .await
        .expect("OK")
        .into_inner();
    assert_no_diagnostics(&imported.diagnostics);
    let object = &imported.imported_resources[0];
    let state = undv(object.state.as_ref(), &vm_ty());
    assert_eq!(state.attr("name"), Some(&s("aix-0042")));

    let read = served
        .client
        .read_resource(pb::read_resource::Request {
            type_name: "fleet_vm".into(),
            current_state: dv(&state, &vm_ty()),
            current_identity: object.identity.clone(),
            ..Default::default()
        })
        .await
        .expect("OK")
        .into_inner();
    assert_no_diagnostics(&read.diagnostics);
    let identity = read.new_identity.expect("identity on read");
    assert_eq!(
        undv(identity.identity_data.as_ref(), &id_ty()),
        obj(&[("id", s("vm-0042"))])
    );
}

#[tokio::test]
async fn a_limited_listing_streams_that_many_and_stops_the_provider() {
    let mut served = serve().await;
    let events = list_events(&mut served, list_request(false, 10, true)).await;
    assert_eq!(events.len(), 10);
    for (i, event) in events.iter().enumerate() {
        assert_no_diagnostics(&event.diagnostic);
        assert_eq!(event.display_name, format!("aix-{i:04}"));
        let identity = event.identity.as_ref().expect("identity");
        assert_eq!(
            undv(identity.identity_data.as_ref(), &id_ty()),
            obj(&[("id", s(&format!("vm-{i:04}")))])
        );
        let object = undv(event.resource_object.as_ref(), &vm_ty());
        assert_eq!(object.attr("id"), Some(&s(&format!("vm-{i:04}"))));
    }
    tokio::time::timeout(NOTICE_WITHIN, served.fleet.stopped.notified())
        .await
        .expect("the listing was told to stop");
    assert_eq!(
        served.fleet.listed.load(Ordering::SeqCst),
        9,
        "the 10th push is accepted and answers that no more are wanted"
    );
}

#[tokio::test]
async fn the_whole_fleet_streams_without_objects_when_not_asked() {
    let mut served = serve().await;
    let events = list_events(&mut served, list_request(false, 100_000, false)).await;
    assert_eq!(events.len(), VMS);
    assert!(
        events
            .iter()
            .all(|e| e.resource_object.is_none() && e.identity.is_some())
    );
    assert_eq!(served.fleet.listed.load(Ordering::SeqCst), VMS as u64);
}

#[tokio::test]
async fn a_reader_that_hangs_up_cancels_the_listing() {
    let mut served = serve().await;
    let mut stream = served
        .client
        .list_resource(list_request(false, 0, false))
        .await
        .expect("OK")
        .into_inner();
    for _ in 0..3 {
        stream.next().await.expect("an event").expect("OK");
    }
    drop(stream);
    tokio::time::timeout(NOTICE_WITHIN, served.fleet.stopped.notified())
        .await
        .expect("the listing noticed the hang-up");
    let listed = served.fleet.listed.load(Ordering::SeqCst);
    assert!(listed < VMS as u64, "the listing stopped early ({listed})");
}

#[tokio::test]
async fn a_listing_that_panics_ends_with_a_diagnostic() {
    let mut served = serve().await;
    let events = list_events(&mut served, list_request(true, 10, false)).await;
    assert_eq!(events.len(), 1);
    let text = format!("{:?}", events[0].diagnostic);
    assert!(text.contains("the listing exploded"), "{text}");
}

#[tokio::test]
async fn generated_config_and_ephemeral_life_cycle_over_the_wire() {
    let mut served = serve().await;
    let state = obj(&[
        ("id", s("vm-0001")),
        ("name", s("aix-0001")),
        (
            "cores",
            Value::Number(tf_framework::value::Number::from_i64(2)),
        ),
        ("tier", s("tier1")),
    ]);
    let generated = served
        .client
        .generate_resource_config(pb::generate_resource_config::Request {
            type_name: "fleet_vm".into(),
            state: dv(&state, &vm_ty()),
        })
        .await
        .expect("OK")
        .into_inner();
    assert_eq!(
        undv(generated.config.as_ref(), &vm_ty()),
        obj(&[
            ("id", Value::Null),
            ("name", s("aix-0001")),
            ("cores", Value::Null),
            ("tier", Value::Null),
        ])
    );

    let token_ty = Token.schema().object_type();
    let opened = served
        .client
        .open_ephemeral_resource(pb::open_ephemeral_resource::Request {
            type_name: "fleet_token".into(),
            config: dv(
                &obj(&[("scope", s("ci")), ("secret", Value::Null)]),
                &token_ty,
            ),
            client_capabilities: None,
        })
        .await
        .expect("OK")
        .into_inner();
    assert_no_diagnostics(&opened.diagnostics);
    assert_eq!(
        undv(opened.result.as_ref(), &token_ty).attr("secret"),
        Some(&s("s3cr3t-ci"))
    );
    assert_eq!(
        opened.renew_at.map(|t| (t.seconds, t.nanos)),
        Some((1_900_000_000, 0))
    );
    let renewed = served
        .client
        .renew_ephemeral_resource(pb::renew_ephemeral_resource::Request {
            type_name: "fleet_token".into(),
            private: opened.private,
        })
        .await
        .expect("OK")
        .into_inner();
    assert_eq!(renewed.renew_at.map(|t| t.seconds), Some(1_900_000_060));
    let closed = served
        .client
        .close_ephemeral_resource(pb::close_ephemeral_resource::Request {
            type_name: "fleet_token".into(),
            private: renewed.private,
        })
        .await
        .expect("OK")
        .into_inner();
    assert_no_diagnostics(&closed.diagnostics);
    assert_eq!(*served.fleet.closed.lock().expect("lock"), ["lease-9#1"]);
}
