//! Resource identity, list resources, config generation and ephemeral resources on the service
//! object, called in-process with msgpack-encoded values: what Terraform 1.12+ sends to adopt
//! objects in bulk, and every refusal the framework adds.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tonic::Request;

use super::*;
use crate::ephemeral::{EphemeralResource, Opened, Renewed};
use crate::genconfig::GeneratedConfig;
use crate::identity::{IdentityAttribute, IdentityData};
use crate::list::{ListRequest, ListResource, ListResults};
use crate::path;
use crate::proto::tfplugin6 as pb;
use crate::proto::tfplugin6::provider_server::Provider as _;
use crate::resource::{CreateRequest, MoveStateRequest, Resource, UpdateRequest};
use crate::schema::Attribute;
use crate::test_support::{
    FixedProvider, answer_of, assert_no_diagnostics, configure_with, dv, errors, obj, s, undv,
};
use crate::validators::one_of;

// ---------------------------------------------------------------------------------------------
// A provider whose VMs live in memory, keyed `<orchestrator_id>/<pvm_instance_id>`.

#[derive(Default)]
struct Cloud {
    vms: Mutex<BTreeMap<String, VmState>>,
    list_saw_stop: AtomicBool,
    renewals: AtomicU32,
    closed: Mutex<Vec<String>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().expect("lock")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct VmState {
    id: Option<String>,
    orchestrator_id: String,
    pvm_instance_id: String,
    priority: Option<String>,
    workgroup: Option<String>,
    api_key: Option<String>,
    password_wo: Option<String>,
    vm_name: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct VmIdentity {
    orchestrator_id: Option<String>,
    pvm_instance_id: Option<String>,
}

struct Vm;

fn key(orchestrator: &str, pvm: &str) -> String {
    format!("{orchestrator}/{pvm}")
}

fn not_found(what: &str) -> Diagnostics {
    Diagnostics::from_error("Not found", format!("no VM {what}"))
}

#[async_trait]
impl Resource for Vm {
    type State = VmState;
    fn type_name(&self) -> &str {
        "bulk_vm"
    }
    fn schema(&self) -> Schema {
        Schema::new()
            .attribute(Attribute::string("id").computed().use_state_for_unknown())
            .attribute(
                Attribute::string("orchestrator_id")
                    .required()
                    .requires_replace(),
            )
            // Deliberately not requires_replace: the framework must catch an identity that
            // would change in place.
            .attribute(Attribute::string("pvm_instance_id").required())
            .attribute(
                Attribute::string("priority")
                    .optional()
                    .default_string("medium"),
            )
            .attribute(Attribute::string("workgroup").optional())
            .attribute(Attribute::string("api_key").optional().sensitive())
            .attribute(Attribute::string("password_wo").optional().write_only())
            .attribute(Attribute::string("vm_name").computed())
    }
    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(
            IdentitySchema::new()
                .version(1)
                .attribute(IdentityAttribute::string("orchestrator_id").required_for_import())
                .attribute(IdentityAttribute::string("pvm_instance_id").required_for_import()),
        )
    }
    fn identity(&self, state: &VmState) -> Result<IdentityData, Diagnostics> {
        if state.orchestrator_id == "faceless" {
            // A bug: an identity missing a required attribute.
            return IdentityData::new(&serde_json::json!({"orchestrator_id": "faceless"}));
        }
        IdentityData::new(&VmIdentity {
            orchestrator_id: Some(state.orchestrator_id.clone()),
            pvm_instance_id: Some(state.pvm_instance_id.clone()),
        })
    }
    async fn create(
        &self,
        ctx: &Context,
        req: CreateRequest<VmState>,
    ) -> Result<VmState, Diagnostics> {
        let cloud = ctx.provider_data::<Cloud>()?;
        let mut s = req.planned;
        s.id = Some(key(&s.orchestrator_id, &s.pvm_instance_id));
        s.vm_name = Some(format!("vm-{}", s.pvm_instance_id));
        lock(&cloud.vms).insert(key(&s.orchestrator_id, &s.pvm_instance_id), s.clone());
        Ok(s)
    }
    async fn read(&self, ctx: &Context, state: VmState) -> Result<Option<VmState>, Diagnostics> {
        let cloud = ctx.provider_data::<Cloud>()?;
        Ok(state.id.and_then(|id| lock(&cloud.vms).get(&id).cloned()))
    }
    async fn update(
        &self,
        ctx: &Context,
        req: UpdateRequest<VmState>,
    ) -> Result<VmState, Diagnostics> {
        let cloud = ctx.provider_data::<Cloud>()?;
        let mut s = req.planned;
        s.vm_name = Some(format!("vm-{}", s.pvm_instance_id));
        lock(&cloud.vms).insert(req.prior.id.clone().unwrap_or_default(), s.clone());
        Ok(s)
    }
    async fn delete(&self, ctx: &Context, state: VmState) -> Result<(), Diagnostics> {
        let cloud = ctx.provider_data::<Cloud>()?;
        lock(&cloud.vms).remove(&state.id.unwrap_or_default());
        Ok(())
    }
    async fn import(&self, ctx: &Context, id: &str) -> Result<VmState, Diagnostics> {
        let cloud = ctx.provider_data::<Cloud>()?;
        if let Some(rest) = id.strip_prefix("partial:") {
            // Only the id, as some APIs allow: read fills the rest (and the identity).
            let (o, p) = rest.split_once('/').ok_or_else(|| not_found(id))?;
            return Ok(VmState {
                id: Some(rest.to_string()),
                orchestrator_id: o.into(),
                pvm_instance_id: p.into(),
                priority: None,
                workgroup: None,
                api_key: None,
                password_wo: None,
                vm_name: None,
            });
        }
        lock(&cloud.vms)
            .get(id)
            .cloned()
            .ok_or_else(|| not_found(id))
    }
    async fn import_by_identity(
        &self,
        ctx: &Context,
        identity: IdentityData,
    ) -> Result<VmState, Diagnostics> {
        let cloud = ctx.provider_data::<Cloud>()?;
        let wanted: VmIdentity = identity.get()?;
        let (o, p) = (
            wanted.orchestrator_id.unwrap_or_default(),
            wanted.pvm_instance_id.unwrap_or_default(),
        );
        // "wrong" finds another VM: a bug the framework must catch.
        let lookup = if p == "wrong" {
            lock(&cloud.vms).values().next().cloned()
        } else {
            lock(&cloud.vms).get(&key(&o, &p)).cloned()
        };
        lookup.ok_or_else(|| not_found(&key(&o, &p)))
    }
    async fn upgrade_identity(
        &self,
        _ctx: &Context,
        from_version: i64,
        mut identity: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        // Version 0 called `pvm_instance_id` `vm`.
        if from_version == 0
            && let Some(o) = identity.as_object_mut()
            && let Some(vm) = o.remove("vm")
        {
            o.insert("pvm_instance_id".into(), vm);
        }
        Ok(identity)
    }
    fn supports_move_state(&self) -> bool {
        true
    }
    async fn move_state(
        &self,
        _ctx: &Context,
        req: MoveStateRequest,
    ) -> Result<VmState, Diagnostics> {
        let s = &req.source_state;
        let text = |k: &str| s[k].as_str().unwrap_or_default().to_string();
        assert_eq!(
            req.source_identity,
            Some(serde_json::json!({"name": "legacy-1"})),
            "the source identity reaches the resource"
        );
        Ok(VmState {
            id: Some(key(&text("orch"), &text("pvm"))),
            orchestrator_id: text("orch"),
            pvm_instance_id: text("pvm"),
            priority: Some("medium".into()),
            workgroup: None,
            api_key: None,
            password_wo: None,
            vm_name: None,
        })
    }
    async fn generate_config(
        &self,
        _ctx: &Context,
        config: &mut GeneratedConfig,
    ) -> Result<(), Diagnostics> {
        // The API reports the workgroup "default" for VMs in none; users do not write it.
        if config
            .get::<String>(&path!("workgroup"))?
            .known()
            .map(String::as_str)
            == Some("default")
        {
            config.set_null(&path!("workgroup"))?;
        }
        Ok(())
    }
}

#[derive(Debug, Deserialize)]
struct VmListConfig {
    orchestrator_id: Option<String>,
    fail_after: Option<i64>,
}

struct VmList;

#[async_trait]
impl ListResource for VmList {
    type Config = VmListConfig;
    type State = VmState;
    fn type_name(&self) -> &str {
        "bulk_vm"
    }
    fn schema(&self) -> Schema {
        Schema::new()
            .attribute(Attribute::string("orchestrator_id").optional())
            .attribute(Attribute::number("fail_after").optional())
            .attribute(
                Attribute::string("mode")
                    .optional()
                    .validator(one_of(["fast", "slow"])),
            )
    }
    async fn list(
        &self,
        ctx: &Context,
        req: ListRequest<VmListConfig>,
        results: &ListResults<VmState>,
    ) -> Result<(), Diagnostics> {
        let cloud = ctx.provider_data::<Cloud>()?;
        let vms: Vec<VmState> = lock(&cloud.vms)
            .values()
            .filter(|v| {
                req.config
                    .orchestrator_id
                    .as_ref()
                    .is_none_or(|o| &v.orchestrator_id == o)
            })
            .cloned()
            .collect();
        if vms.is_empty() {
            ctx.warn("Nothing found", "No VM matches.");
        }
        for (i, vm) in vms.iter().enumerate() {
            if req.config.fail_after == Some(i64::try_from(i).unwrap_or(0)) {
                return Err(Diagnostics::from_error("API failed", "page 2 is gone"));
            }
            if !results
                .push(vm.vm_name.clone().unwrap_or_default(), vm)
                .await
            {
                cloud
                    .list_saw_stop
                    .store(ctx.is_cancelled(), Ordering::SeqCst);
                return Ok(());
            }
        }
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct TokenState {
    name: String,
    value: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Lease {
    id: String,
}

struct Token;

#[async_trait]
impl EphemeralResource for Token {
    type State = TokenState;
    type Private = Lease;
    fn type_name(&self) -> &str {
        "bulk_token"
    }
    fn schema(&self) -> Schema {
        Schema::new()
            .attribute(Attribute::string("name").required())
            .attribute(Attribute::string("value").computed().sensitive())
    }
    async fn open(
        &self,
        _ctx: &Context,
        mut config: TokenState,
    ) -> Result<Opened<TokenState, Lease>, Diagnostics> {
        if config.name == "liar" {
            config.name = "someone else".into();
        }
        config.value = Some(format!("tok-{}", config.name));
        Ok(Opened::new(config)
            .private(Lease {
                id: "lease-1".into(),
            })
            .renew_at(SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000)))
    }
    async fn renew(
        &self,
        ctx: &Context,
        private: Option<Lease>,
    ) -> Result<Renewed<Lease>, Diagnostics> {
        let cloud = ctx.provider_data::<Cloud>()?;
        let lease =
            private.ok_or_else(|| Diagnostics::from_error("No lease", "nothing to renew"))?;
        let n = cloud.renewals.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(Renewed {
            private: Some(Lease {
                id: format!("{}-r{n}", lease.id),
            }),
            renew_at: (n < 2).then(|| SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_100)),
        })
    }
    async fn close(&self, ctx: &Context, private: Option<Lease>) -> Result<(), Diagnostics> {
        let cloud = ctx.provider_data::<Cloud>()?;
        lock(&cloud.closed).push(private.map(|l| l.id).unwrap_or_default());
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers.

fn vm_ty() -> Type {
    Vm.schema().object_type()
}

fn id_ty() -> Type {
    Vm.identity_schema().expect("identity").object_type()
}

fn identity(o: &str, p: &str) -> Value {
    obj(&[("orchestrator_id", s(o)), ("pvm_instance_id", s(p))])
}

fn identity_dv(v: &Value) -> Option<pb::ResourceIdentityData> {
    Some(pb::ResourceIdentityData {
        identity_data: dv(v, &id_ty()),
    })
}

fn identity_of(d: Option<&pb::ResourceIdentityData>) -> Option<Value> {
    d.map(|d| undv(d.identity_data.as_ref(), &id_ty()))
}

fn vm_config(o: &str, p: &str, workgroup: Value) -> Value {
    obj(&[
        ("id", Value::Null),
        ("orchestrator_id", s(o)),
        ("pvm_instance_id", s(p)),
        ("priority", Value::Null),
        ("workgroup", workgroup),
        ("api_key", Value::Null),
        ("password_wo", Value::Null),
        ("vm_name", Value::Null),
    ])
}

async fn configured() -> (ProviderServer, Arc<Cloud>) {
    let cloud = Arc::new(Cloud::default());
    let server = ProviderServer::new(FixedProvider {
        resources: vec![Arc::new(Vm)],
        list_resources: vec![Arc::new(VmList)],
        ephemeral_resources: vec![Arc::new(Token)],
        ..FixedProvider::new("bulk", cloud.clone())
    });
    configure_with(&server, &obj(&[]), &Type::object::<String>([]), None).await;
    (server, cloud)
}

async fn plan(
    server: &ProviderServer,
    prior: &Value,
    config: &Value,
    prior_identity: Option<&Value>,
) -> pb::plan_resource_change::Response {
    // Terraform's proposed new state: the configuration with prior computed values kept.
    let mut proposed = config.clone();
    if let (Some(p), Some(prior)) = (proposed.as_object_mut(), prior.as_object()) {
        for name in ["id", "vm_name"] {
            p.insert(name.into(), prior[name].clone());
        }
    }
    answer_of(
        server.plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: "bulk_vm".into(),
            prior_state: dv(prior, &vm_ty()),
            proposed_new_state: dv(&proposed, &vm_ty()),
            config: dv(config, &vm_ty()),
            prior_identity: prior_identity.and_then(identity_dv),
            ..Default::default()
        })),
    )
    .await
}

async fn apply(
    server: &ProviderServer,
    prior: &Value,
    planned: &pb::plan_resource_change::Response,
    config: &Value,
) -> pb::apply_resource_change::Response {
    answer_of(
        server.apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: "bulk_vm".into(),
            prior_state: dv(prior, &vm_ty()),
            planned_state: planned.planned_state.clone(),
            config: dv(config, &vm_ty()),
            planned_identity: planned.planned_identity.clone(),
            ..Default::default()
        })),
    )
    .await
}

/// Creates a VM through plan and apply; returns its state and identity.
async fn create(server: &ProviderServer, o: &str, p: &str, workgroup: Value) -> (Value, Value) {
    let config = vm_config(o, p, workgroup);
    let planned = plan(server, &Value::Null, &config, None).await;
    assert_no_diagnostics(&planned.diagnostics);
    assert!(
        planned.planned_identity.is_none(),
        "no identity before the object exists"
    );
    let applied = apply(server, &Value::Null, &planned, &config).await;
    assert_no_diagnostics(&applied.diagnostics);
    let id = identity_of(applied.new_identity.as_ref()).expect("create returns the identity");
    (undv(applied.new_state.as_ref(), &vm_ty()), id)
}

async fn read(
    server: &ProviderServer,
    state: &Value,
    current: Option<&Value>,
) -> pb::read_resource::Response {
    answer_of(
        server.read_resource(Request::new(pb::read_resource::Request {
            type_name: "bulk_vm".into(),
            current_state: dv(state, &vm_ty()),
            current_identity: current.and_then(identity_dv),
            ..Default::default()
        })),
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Tests.

#[tokio::test]
async fn schemas_announce_identity_list_and_ephemeral_types() {
    let (server, _) = configured().await;
    let schema =
        answer_of(server.get_provider_schema(Request::new(pb::get_provider_schema::Request {})))
            .await;
    assert_no_diagnostics(&schema.diagnostics);
    let list = &schema.list_resource_schemas["bulk_vm"];
    let names: Vec<&str> = list
        .block
        .as_ref()
        .expect("block")
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["orchestrator_id", "fail_after", "mode"]);
    assert!(schema.ephemeral_resource_schemas.contains_key("bulk_token"));
    assert!(
        schema
            .server_capabilities
            .expect("caps")
            .move_resource_state
    );

    let meta = answer_of(server.get_metadata(Request::new(pb::get_metadata::Request {}))).await;
    assert_eq!(meta.list_resources[0].type_name, "bulk_vm");
    assert_eq!(meta.ephemeral_resources[0].type_name, "bulk_token");

    let ids = answer_of(server.get_resource_identity_schemas(Request::new(
        pb::get_resource_identity_schemas::Request {},
    )))
    .await;
    let vm = &ids.identity_schemas["bulk_vm"];
    assert_eq!(vm.version, 1);
    let attrs: Vec<(&str, &[u8], bool)> = vm
        .identity_attributes
        .iter()
        .map(|a| (a.name.as_str(), a.r#type.as_slice(), a.required_for_import))
        .collect();
    assert_eq!(
        attrs,
        [
            ("orchestrator_id", &b"\"string\""[..], true),
            ("pvm_instance_id", &b"\"string\""[..], true)
        ]
    );
}

#[tokio::test]
async fn identity_follows_the_object_through_its_life() {
    let (server, cloud) = configured().await;
    let (state, id) = create(&server, "o1", "p1", Value::Null).await;
    assert_eq!(id, identity("o1", "p1"));

    // Refresh reports the same identity; Terraform 1.11 and older send none and still get it.
    for current in [Some(&id), None] {
        let r = read(&server, &state, current).await;
        assert_no_diagnostics(&r.diagnostics);
        assert_eq!(identity_of(r.new_identity.as_ref()), Some(id.clone()));
    }

    // An in-place update keeps the stored identity; state from before identities gets one.
    let config = vm_config("o1", "p1", s("wg"));
    for prior_identity in [Some(&id), None] {
        let planned = plan(&server, &state, &config, prior_identity).await;
        assert_no_diagnostics(&planned.diagnostics);
        assert_eq!(
            identity_of(planned.planned_identity.as_ref()),
            Some(id.clone())
        );
    }
    let planned = plan(&server, &state, &config, Some(&id)).await;
    let applied = apply(&server, &state, &planned, &config).await;
    assert_no_diagnostics(&applied.diagnostics);
    assert_eq!(identity_of(applied.new_identity.as_ref()), Some(id.clone()));
    let state = undv(applied.new_state.as_ref(), &vm_ty());

    // A change of an identity attribute that requires replacement is free to change it.
    let moved = vm_config("o2", "p1", s("wg"));
    let planned = plan(&server, &state, &moved, Some(&id)).await;
    assert_no_diagnostics(&planned.diagnostics);
    assert_eq!(planned.requires_replace.len(), 1);

    // One that would change in place is a provider bug, refused at plan time.
    let renamed = vm_config("o1", "p9", s("wg"));
    let planned = plan(&server, &state, &renamed, Some(&id)).await;
    let text = errors(&planned.diagnostics);
    assert!(text.contains("Unexpected identity change"), "{text}");
    assert!(text.contains("pvm_instance_id changed"), "{text}");
    assert!(planned.planned_state.is_none());

    // The object changed identity behind Terraform's back: refresh refuses the new one.
    lock(&cloud.vms)
        .get_mut("o1/p1")
        .expect("vm")
        .pvm_instance_id = "p7".into();
    let r = read(&server, &state, Some(&id)).await;
    let text = errors(&r.diagnostics);
    assert!(text.contains("Unexpected identity change"), "{text}");
    assert!(
        text.contains(r#"{orchestrator_id = "o1", pvm_instance_id = "p1"}"#),
        "{text}"
    );
    assert_eq!(
        identity_of(r.new_identity.as_ref()),
        Some(id.clone()),
        "the stored one stays"
    );

    // Destroy plans keep the identity; the delete drops it.
    lock(&cloud.vms)
        .get_mut("o1/p1")
        .expect("vm")
        .pvm_instance_id = "p1".into();
    let destroy = answer_of(server.plan_resource_change(Request::new(
        pb::plan_resource_change::Request {
            type_name: "bulk_vm".into(),
            prior_state: dv(&state, &vm_ty()),
            proposed_new_state: dv(&Value::Null, &vm_ty()),
            config: dv(&Value::Null, &vm_ty()),
            prior_identity: identity_dv(&id),
            ..Default::default()
        },
    )))
    .await;
    assert_eq!(
        identity_of(destroy.planned_identity.as_ref()),
        Some(id.clone())
    );
    let deleted = apply(&server, &state, &destroy, &Value::Null).await;
    assert_no_diagnostics(&deleted.diagnostics);
    assert!(deleted.new_identity.is_none());
    assert!(lock(&cloud.vms).is_empty());
}

#[tokio::test]
async fn an_incomplete_identity_is_a_provider_bug() {
    let (server, _) = configured().await;
    let config = vm_config("faceless", "p1", Value::Null);
    let planned = plan(&server, &Value::Null, &config, None).await;
    let applied = apply(&server, &Value::Null, &planned, &config).await;
    let text = errors(&applied.diagnostics);
    assert!(text.contains("Provider bug: incomplete identity"), "{text}");
    assert!(text.contains("missing: pvm_instance_id"), "{text}");
}

async fn import(
    server: &ProviderServer,
    id: &str,
    by: Option<&Value>,
) -> pb::import_resource_state::Response {
    answer_of(
        server.import_resource_state(Request::new(pb::import_resource_state::Request {
            type_name: "bulk_vm".into(),
            id: id.into(),
            identity: by.and_then(identity_dv),
            ..Default::default()
        })),
    )
    .await
}

#[tokio::test]
async fn import_by_id_or_identity_returns_the_identity() {
    let (server, _) = configured().await;
    create(&server, "o1", "p1", Value::Null).await;
    create(&server, "o1", "p2", Value::Null).await;

    let by_id = import(&server, "o1/p2", None).await;
    assert_no_diagnostics(&by_id.diagnostics);
    let imported = &by_id.imported_resources[0];
    assert_eq!(
        identity_of(imported.identity.as_ref()),
        Some(identity("o1", "p2"))
    );

    let by_identity = import(&server, "", Some(&identity("o1", "p1"))).await;
    assert_no_diagnostics(&by_identity.diagnostics);
    let imported = &by_identity.imported_resources[0];
    assert_eq!(
        undv(imported.state.as_ref(), &vm_ty()).attr("id"),
        Some(&s("o1/p1"))
    );
    assert_eq!(
        identity_of(imported.identity.as_ref()),
        Some(identity("o1", "p1"))
    );

    // An import that finds another object than the one named is refused.
    let wrong = import(&server, "", Some(&identity("o1", "wrong"))).await;
    let text = errors(&wrong.diagnostics);
    assert!(
        text.contains("Imported object has a different identity"),
        "{text}"
    );
    assert!(wrong.imported_resources.is_empty());

    let missing = import(&server, "", Some(&identity("o1", "p404"))).await;
    assert!(errors(&missing.diagnostics).contains("no VM o1/p404"));
    let nothing = import(&server, "", None).await;
    assert!(errors(&nothing.diagnostics).contains("Nothing to import"));

    // A partial import state: the identity is still derived when the state names it.
    let partial = import(&server, "partial:o1/p1", None).await;
    assert_no_diagnostics(&partial.diagnostics);
    assert_eq!(
        identity_of(partial.imported_resources[0].identity.as_ref()),
        Some(identity("o1", "p1"))
    );
}

#[tokio::test]
async fn stored_identities_are_upgraded_by_version() {
    let (server, _) = configured().await;
    let upgrade = |version: i64, json: &str| {
        let server = server.clone();
        let json = json.as_bytes().to_vec();
        async move {
            answer_of(server.upgrade_resource_identity(Request::new(
                pb::upgrade_resource_identity::Request {
                    type_name: "bulk_vm".into(),
                    version,
                    raw_identity: Some(pb::RawState {
                        json,
                        flatmap: Default::default(),
                    }),
                },
            )))
            .await
        }
    };
    let v0 = upgrade(0, r#"{"orchestrator_id": "o1", "vm": "p1"}"#).await;
    assert_no_diagnostics(&v0.diagnostics);
    assert_eq!(
        identity_of(v0.upgraded_identity.as_ref()),
        Some(identity("o1", "p1"))
    );
    let current = upgrade(1, r#"{"orchestrator_id": "o1", "pvm_instance_id": "p1"}"#).await;
    assert_eq!(
        identity_of(current.upgraded_identity.as_ref()),
        Some(identity("o1", "p1"))
    );
    let newer = upgrade(2, "{}").await;
    assert!(errors(&newer.diagnostics).contains("newer provider version"));
    // State written before the resource had an identity: nothing to upgrade.
    let none = upgrade(0, "").await;
    assert!(none.diagnostics.is_empty() && none.upgraded_identity.is_none());
}

#[tokio::test]
async fn a_moved_object_gets_its_identity() {
    let (server, _) = configured().await;
    let reply = answer_of(server.move_resource_state(Request::new(
        pb::move_resource_state::Request {
            source_type_name: "legacy_vm".into(),
            source_state: Some(pb::RawState {
                json: br#"{"orch": "o3", "pvm": "p3"}"#.to_vec(),
                flatmap: Default::default(),
            }),
            source_identity: Some(pb::RawState {
                json: br#"{"name": "legacy-1"}"#.to_vec(),
                flatmap: Default::default(),
            }),
            target_type_name: "bulk_vm".into(),
            ..Default::default()
        },
    )))
    .await;
    assert_no_diagnostics(&reply.diagnostics);
    assert_eq!(
        identity_of(reply.target_identity.as_ref()),
        Some(identity("o3", "p3"))
    );
}

#[tokio::test]
async fn generated_config_holds_what_a_user_writes() {
    let (server, _) = configured().await;
    let generate = |state: Value| {
        let server = server.clone();
        async move {
            answer_of(server.generate_resource_config(Request::new(
                pb::generate_resource_config::Request {
                    type_name: "bulk_vm".into(),
                    state: dv(&state, &vm_ty()),
                },
            )))
            .await
        }
    };
    let state = obj(&[
        ("id", s("o1/p1")),
        ("orchestrator_id", s("o1")),
        ("pvm_instance_id", s("p1")),
        ("priority", s("medium")),
        ("workgroup", s("default")),
        ("api_key", s("k3y")),
        ("password_wo", Value::Null),
        ("vm_name", s("vm-p1")),
    ]);
    let reply = generate(state.clone()).await;
    assert_no_diagnostics(&reply.diagnostics);
    let config = undv(reply.config.as_ref(), &vm_ty());
    assert_eq!(
        config,
        vm_config("o1", "p1", Value::Null),
        "no computed values, defaults, secrets, or what the resource drops"
    );
    let mut high = state;
    if let Some(o) = high.as_object_mut() {
        o.insert("priority".into(), s("high"));
        o.insert("workgroup".into(), s("apps"));
    }
    let config = undv(generate(high).await.config.as_ref(), &vm_ty());
    assert_eq!(config.attr("priority"), Some(&s("high")));
    assert_eq!(config.attr("workgroup"), Some(&s("apps")));
    // A list result without its object.
    let config = undv(generate(Value::Null).await.config.as_ref(), &vm_ty());
    assert_eq!(config, Value::Null);
}

fn list_config(orchestrator: Option<&str>, fail_after: Option<i64>) -> Value {
    obj(&[
        (
            "orchestrator_id",
            orchestrator.map(s).unwrap_or(Value::Null),
        ),
        (
            "fail_after",
            fail_after.map_or(Value::Null, |n| {
                Value::Number(crate::value::Number::from_i64(n))
            }),
        ),
        ("mode", Value::Null),
    ])
}

async fn list(
    server: &ProviderServer,
    config: &Value,
    limit: i64,
    include: bool,
) -> Vec<pb::list_resource::Event> {
    let ty = VmList.schema().object_type();
    let stream = answer_of(
        server.list_resource(Request::new(pb::list_resource::Request {
            type_name: "bulk_vm".into(),
            config: dv(config, &ty),
            include_resource_object: include,
            limit,
        })),
    )
    .await;
    stream.map(|e| e.expect("event")).collect().await
}

#[tokio::test]
async fn listing_streams_identities_and_honours_limit_and_objects() {
    let (server, cloud) = configured().await;
    for (o, p) in [("o1", "p1"), ("o1", "p2"), ("o2", "p3")] {
        create(&server, o, p, Value::Null).await;
    }
    let events = list(&server, &list_config(Some("o1"), None), 100, false).await;
    let found: Vec<(String, Option<Value>, bool)> = events
        .iter()
        .map(|e| {
            assert_no_diagnostics(&e.diagnostic);
            (
                e.display_name.clone(),
                identity_of(e.identity.as_ref()),
                e.resource_object.is_some(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("vm-p1".to_string(), Some(identity("o1", "p1")), false),
            ("vm-p2".to_string(), Some(identity("o1", "p2")), false)
        ]
    );

    lock(&cloud.vms).get_mut("o1/p1").expect("vm").api_key = Some("k3y".into());
    let events = list(&server, &list_config(None, None), 2, true).await;
    assert_eq!(events.len(), 2, "the limit");
    let object = undv(events[0].resource_object.as_ref(), &vm_ty());
    assert_eq!(object.attr("vm_name"), Some(&s("vm-p1")));
    assert_eq!(
        object.attr("api_key"),
        Some(&Value::Null),
        "secrets are not listed"
    );
    assert!(
        cloud.list_saw_stop.load(Ordering::SeqCst),
        "the listing was told to stop, with its context cancelled"
    );

    // No limit from a client that does not send one.
    assert_eq!(
        list(&server, &list_config(None, None), 0, false)
            .await
            .len(),
        3
    );
}

#[tokio::test]
async fn listing_problems_end_the_stream_with_diagnostics() {
    let (server, _) = configured().await;
    for p in ["p1", "p2"] {
        create(&server, "o1", p, Value::Null).await;
    }
    let events = list(&server, &list_config(None, Some(1)), 100, false).await;
    assert_eq!(events.len(), 2, "one object, then the error");
    assert!(events[0].identity.is_some());
    assert!(errors(&events[1].diagnostic).contains("page 2 is gone"));

    let events = list(&server, &list_config(Some("nobody"), None), 100, false).await;
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].diagnostic[0].severity,
        pb::diagnostic::Severity::Warning as i32
    );
    assert!(events[0].identity.is_none(), "warnings ride alone");

    let mut unknown = list_config(None, None);
    if let Some(o) = unknown.as_object_mut() {
        o.insert("orchestrator_id".into(), Value::unknown());
    }
    let events = list(&server, &unknown, 100, false).await;
    assert!(errors(&events[0].diagnostic).contains("not known yet"));

    let stream = answer_of(
        server.list_resource(Request::new(pb::list_resource::Request {
            type_name: "bulk_nope".into(),
            ..Default::default()
        })),
    )
    .await;
    let events: Vec<_> = stream.collect().await;
    assert!(errors(&events[0].as_ref().expect("event").diagnostic).contains("no list resource"));

    let ty = VmList.schema().object_type();
    let mut bad = list_config(None, None);
    if let Some(o) = bad.as_object_mut() {
        o.insert("mode".into(), s("warp"));
    }
    let reply = answer_of(server.validate_list_resource_config(Request::new(
        pb::validate_list_resource_config::Request {
            type_name: "bulk_vm".into(),
            config: dv(&bad, &ty),
            ..Default::default()
        },
    )))
    .await;
    let text = errors(&reply.diagnostics);
    assert!(
        text.contains(r#"must be one of: ["fast", "slow"], got: "warp""#),
        "{text}"
    );
}

#[tokio::test]
async fn ephemeral_resources_open_renew_and_close_with_private_data() {
    let (server, cloud) = configured().await;
    let ty = Token.schema().object_type();
    let config = obj(&[("name", s("ci")), ("value", Value::Null)]);
    let valid = answer_of(server.validate_ephemeral_resource_config(Request::new(
        pb::validate_ephemeral_resource_config::Request {
            type_name: "bulk_token".into(),
            config: dv(&config, &ty),
        },
    )))
    .await;
    assert_no_diagnostics(&valid.diagnostics);

    let open = |config: Value| {
        let server = server.clone();
        let ty = ty.clone();
        async move {
            answer_of(server.open_ephemeral_resource(Request::new(
                pb::open_ephemeral_resource::Request {
                    type_name: "bulk_token".into(),
                    config: dv(&config, &ty),
                    client_capabilities: None,
                },
            )))
            .await
        }
    };
    let opened = open(config).await;
    assert_no_diagnostics(&opened.diagnostics);
    let result = undv(opened.result.as_ref(), &ty);
    assert_eq!(result.attr("value"), Some(&s("tok-ci")));
    assert_eq!(opened.renew_at.map(|t| t.seconds), Some(2_000_000_000));
    let private = opened.private.expect("private data");

    let renew = |private: Option<Vec<u8>>| {
        let server = server.clone();
        async move {
            answer_of(server.renew_ephemeral_resource(Request::new(
                pb::renew_ephemeral_resource::Request {
                    type_name: "bulk_token".into(),
                    private,
                },
            )))
            .await
        }
    };
    let first = renew(Some(private)).await;
    assert_no_diagnostics(&first.diagnostics);
    assert_eq!(first.renew_at.map(|t| t.seconds), Some(2_000_000_100));
    let second = renew(first.private).await;
    assert!(second.renew_at.is_none(), "no further renewal wanted");
    assert!(errors(&renew(None).await.diagnostics).contains("nothing to renew"));
    assert_eq!(cloud.renewals.load(Ordering::SeqCst), 2);

    let closed = answer_of(server.close_ephemeral_resource(Request::new(
        pb::close_ephemeral_resource::Request {
            type_name: "bulk_token".into(),
            private: second.private,
        },
    )))
    .await;
    assert_no_diagnostics(&closed.diagnostics);
    assert_eq!(*lock(&cloud.closed), ["lease-1-r1-r2"]);

    // A result that changes what the user configured breaks Terraform's rules.
    let liar = open(obj(&[("name", s("liar")), ("value", Value::Null)])).await;
    assert!(errors(&liar.diagnostics).contains("must be planned as configured"));
    let unknown = open(obj(&[("name", Value::unknown()), ("value", Value::Null)])).await;
    assert!(errors(&unknown.diagnostics).contains("must be wholly known"));
}

#[tokio::test]
async fn list_resources_need_a_resource_with_an_identity() {
    let reply = answer_of(
        ProviderServer::new(FixedProvider {
            list_resources: vec![Arc::new(VmList)],
            ..FixedProvider::new("bulk", Arc::new(()))
        })
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {})),
    )
    .await;
    let text = errors(&reply.diagnostics);
    assert!(text.contains("list resource without an identity"), "{text}");
}
