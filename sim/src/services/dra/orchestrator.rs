//! The project's own orchestrator API, `/dra/orchestrator/v1/{instance_id}/...`.
//!
//! IBM publishes no API to put a VM under DR management, set its recovery priority and
//! workgroup, or remove the standby orchestrator (those happen in the orchestrator's own
//! UI). The provider needs them, so the project defines this small API (DESIGN §3) and the
//! emulator serves it beside the published one, with the same bearer token and error body.
//! Registered VMs then show up in the published `dr_managed_vms` and `dr_summary`.
//!
//! It validates the way a real API would: unknown instance 404, orchestrator not active
//! 409, VM not in the workspace 404, an OS DR cannot protect 400 (naming the OS), the
//! orchestrator's own VM 400, a VM managed by another DR instance 409.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde_json::{Map, Value, json};

use super::{
    DEPLOYMENTS, DraError, DraResult, MANAGED_VMS, POWER, PVM_INSTANCES, SERVICE, authenticate,
    dr_instance, guid_of, managed_vm_details, parse_body, record_event, workspace, workspace_zone,
};
use crate::sim::Sim;
use crate::store::World;
use crate::util;

/// Operating systems DR Automation protects (PowerVS `osType`).
const SUPPORTED_OS: &[&str] = &["aix", "ibmi", "rhel"];
const PRIORITIES: &[&str] = &["high", "medium", "low"];
const DEFAULT_PRIORITY: &str = "medium";
const DEFAULT_WORKGROUP: &str = "Default_Workgroup";

pub fn router() -> Router<Arc<Sim>> {
    Router::new()
        .route(
            "/orchestrator/v1/{instance_id}/managed_vms",
            get(list).post(register),
        )
        .route(
            "/orchestrator/v1/{instance_id}/managed_vms/{pvm_instance_id}",
            get(show).patch(update).delete(unregister),
        )
        .route(
            "/orchestrator/v1/{instance_id}/standby",
            delete(remove_standby),
        )
}

fn registration_id(instance_guid: &str, vm_id: &str) -> String {
    format!("{instance_guid}.{vm_id}")
}

/// The registration as this API shows it: what was registered plus the VM's live facts.
fn view(world: &World, reg: &Value) -> Value {
    let vm_id = reg["pvm_instance_id"].as_str().unwrap_or_default();
    let vm = world.get(POWER, PVM_INSTANCES, vm_id);
    let details = managed_vm_details(world, reg)
        .map(|(_, d)| d)
        .unwrap_or(Value::Null);
    json!({
        "pvm_instance_id": vm_id,
        "workspace_id": reg["workspace_id"],
        "priority": reg["priority"],
        "workgroup_name": reg["workgroup_name"],
        "vm_name": vm.map(|v| v["serverName"].clone()).unwrap_or(Value::Null),
        "os_type": vm.map(|v| v["osType"].clone()).unwrap_or(Value::Null),
        "cores": vm.map(|v| v["processors"].clone()).unwrap_or(Value::Null),
        "memory_gb": vm.map(|v| v["memory"].clone()).unwrap_or(Value::Null),
        "region": details["region"],
        "dr_region": details["dr_region"],
        "workspace_name": details["workspace_name"],
        "dr_average_time_minutes": details["dr_average_time"].as_str().and_then(|s| s.parse::<u64>().ok()),
        "status": if vm.is_some() { "managed" } else { "vm_not_found" },
        "created_at": reg["created_at"],
        "updated_at": reg["updated_at"],
    })
}

fn ok(status: StatusCode, value: Value) -> Response {
    (status, axum::Json(value)).into_response()
}

fn priority_field(body: &Map<String, Value>) -> Result<Option<String>, DraError> {
    match body.get("priority") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(p)) if PRIORITIES.contains(&p.as_str()) => Ok(Some(p.clone())),
        Some(other) => Err(DraError::bad_request(format!(
            "priority {other} is not valid; use one of: {}",
            PRIORITIES.join(", ")
        ))),
    }
}

fn workgroup_field(body: &Map<String, Value>) -> Result<Option<String>, DraError> {
    match body.get("workgroup_name") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(w))
            if !w.is_empty()
                && w.len() <= 64
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
        {
            Ok(Some(w.clone()))
        }
        Some(other) => Err(DraError::bad_request(format!(
            "workgroup_name {other} must be 1 to 64 letters, digits, '_' or '-'"
        ))),
    }
}

/// The instance's deployment, which must have finished for VMs to be (un)registered.
fn active_deployment<'a>(world: &'a World, guid: &str) -> Result<&'a Value, DraError> {
    let d = world.get(SERVICE, DEPLOYMENTS, guid).ok_or_else(|| {
        DraError::conflict(format!(
            "DR is not deployed for service instance {guid}; deploy the orchestrator (manage_dr) first"
        ))
    })?;
    let status = d["progress"]["status"].as_str().unwrap_or_default();
    if status != "Active" {
        return Err(DraError::conflict(format!(
            "the DR orchestrator of service instance {guid} is not active (status {status})"
        )));
    }
    Ok(d)
}

async fn list(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> DraResult {
    authenticate(&sim, &headers)?;
    let world = sim.world().await;
    let guid = guid_of(&dr_instance(&world, &id)?);
    let items: Vec<Value> = world
        .list(SERVICE, MANAGED_VMS)
        .filter(|m| m["instance_id"].as_str() == Some(guid.as_str()))
        .map(|m| view(&world, m))
        .collect();
    Ok(ok(StatusCode::OK, json!({"managed_vms": items})))
}

async fn register(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> DraResult {
    let claims = authenticate(&sim, &headers)?;
    let body = parse_body(&body)?;
    let vm_id = body
        .get("pvm_instance_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| DraError::bad_request("pvm_instance_id is required"))?
        .to_owned();
    let priority = priority_field(&body)?.unwrap_or_else(|| DEFAULT_PRIORITY.to_owned());
    let workgroup = workgroup_field(&body)?.unwrap_or_else(|| DEFAULT_WORKGROUP.to_owned());
    let now = sim.now_ms();
    let mut world = sim.world().await;
    let instance = dr_instance(&world, &id)?;
    let guid = guid_of(&instance);
    let d = active_deployment(&world, &guid)?;
    let workspace_id = match body.get("workspace_id").and_then(Value::as_str) {
        Some(w) if !w.is_empty() => w.to_owned(),
        _ => d["orchestrator_workspace_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    };
    let ws = workspace(&world, &workspace_id).ok_or_else(|| {
        DraError::not_found(format!("PowerVS workspace {workspace_id} was not found"))
    })?;
    let ws_guid = ws["id"].as_str().unwrap_or_default().to_owned();
    let ws_name = ws["name"].as_str().unwrap_or_default().to_owned();
    let vm = world
        .get(POWER, PVM_INSTANCES, &vm_id)
        .filter(|v| v["_workspace"].as_str() == Some(ws_guid.as_str()))
        .ok_or_else(|| {
            DraError::not_found(format!(
                "PVM instance {vm_id} was not found in workspace {ws_name}"
            ))
        })?;
    let vm_name = vm["serverName"].as_str().unwrap_or_default().to_owned();
    let is_orchestrator = world.list(SERVICE, DEPLOYMENTS).any(|dep| {
        dep["_primary_vm_id"].as_str() == Some(vm_id.as_str())
            || dep["_standby_vm_id"].as_str() == Some(vm_id.as_str())
    });
    if is_orchestrator {
        return Err(DraError::bad_request(format!(
            "{vm_name} ({vm_id}) is a DR orchestrator VM and cannot be managed by DR"
        )));
    }
    let os = vm["osType"].as_str().unwrap_or_default().to_lowercase();
    if !SUPPORTED_OS.contains(&os.as_str()) {
        let shown = vm["operatingSystem"]
            .as_str()
            .filter(|s| !s.is_empty())
            .unwrap_or(os.as_str());
        return Err(DraError::bad_request(format!(
            "{vm_name} runs {shown} (osType {os}); DR Automation manages AIX, IBM i and RHEL virtual servers only"
        )));
    }
    if let Some(other) = world
        .find(SERVICE, MANAGED_VMS, |m| {
            m["pvm_instance_id"].as_str() == Some(vm_id.as_str())
        })
        .and_then(|m| m["instance_id"].as_str())
    {
        let message = if other == guid {
            format!("{vm_name} ({vm_id}) is already managed by this DR instance")
        } else {
            format!("{vm_name} ({vm_id}) is already managed by DR instance {other}")
        };
        return Err(DraError::conflict(message));
    }
    let dr_region = d["_standby_zone"].as_str().map(str::to_owned);
    let reg = json!({
        "instance_id": guid,
        "pvm_instance_id": vm_id,
        "workspace_id": ws_guid,
        "priority": priority,
        "workgroup_name": workgroup,
        "created_at": util::rfc3339(now),
        "updated_at": util::rfc3339(now),
        "_vm_name": vm_name,
        "_dr_region": dr_region,
        "_zone": workspace_zone(ws),
    });
    world.insert(
        SERVICE,
        MANAGED_VMS,
        &registration_id(&guid, &vm_id),
        reg.clone(),
    );
    record_event(
        &mut world,
        &guid,
        "create",
        "info",
        "managedvm",
        format!(
            "Virtual server '{vm_name}' is now managed by DR with priority {priority} in workgroup {workgroup}."
        ),
        Some(&claims),
        now,
    );
    Ok(ok(StatusCode::CREATED, view(&world, &reg)))
}

fn find<'a>(world: &'a World, guid: &str, vm_id: &str) -> Result<&'a Value, DraError> {
    world
        .get(SERVICE, MANAGED_VMS, &registration_id(guid, vm_id))
        .ok_or_else(|| {
            DraError::not_found(format!(
                "PVM instance {vm_id} is not managed by DR instance {guid}"
            ))
        })
}

async fn show(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path((id, vm_id)): Path<(String, String)>,
) -> DraResult {
    authenticate(&sim, &headers)?;
    let world = sim.world().await;
    let guid = guid_of(&dr_instance(&world, &id)?);
    let reg = find(&world, &guid, &vm_id)?;
    Ok(ok(StatusCode::OK, view(&world, reg)))
}

async fn update(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path((id, vm_id)): Path<(String, String)>,
    body: Bytes,
) -> DraResult {
    let claims = authenticate(&sim, &headers)?;
    let body = parse_body(&body)?;
    if let Some(bad) = body
        .keys()
        .find(|k| !matches!(k.as_str(), "priority" | "workgroup_name"))
    {
        return Err(DraError::bad_request(format!(
            "{bad} cannot be changed; only priority and workgroup_name can"
        )));
    }
    let priority = priority_field(&body)?;
    let workgroup = workgroup_field(&body)?;
    let now = sim.now_ms();
    let mut world = sim.world().await;
    let guid = guid_of(&dr_instance(&world, &id)?);
    active_deployment(&world, &guid)?;
    find(&world, &guid, &vm_id)?;
    let Some(reg) = world.get_mut(SERVICE, MANAGED_VMS, &registration_id(&guid, &vm_id)) else {
        return Err(DraError::not_found(format!(
            "PVM instance {vm_id} is not managed"
        )));
    };
    if let Some(p) = &priority {
        reg["priority"] = json!(p);
    }
    if let Some(w) = &workgroup {
        reg["workgroup_name"] = json!(w);
    }
    reg["updated_at"] = json!(util::rfc3339(now));
    let reg = reg.clone();
    let name = reg["_vm_name"].as_str().unwrap_or(&vm_id).to_owned();
    record_event(
        &mut world,
        &guid,
        "update",
        "info",
        "managedvm",
        format!(
            "DR settings of virtual server '{name}' changed: priority {}, workgroup {}.",
            reg["priority"].as_str().unwrap_or_default(),
            reg["workgroup_name"].as_str().unwrap_or_default()
        ),
        Some(&claims),
        now,
    );
    Ok(ok(StatusCode::OK, view(&world, &reg)))
}

async fn unregister(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path((id, vm_id)): Path<(String, String)>,
) -> DraResult {
    let claims = authenticate(&sim, &headers)?;
    let now = sim.now_ms();
    let mut world = sim.world().await;
    let guid = guid_of(&dr_instance(&world, &id)?);
    let name = find(&world, &guid, &vm_id)?["_vm_name"]
        .as_str()
        .unwrap_or(&vm_id)
        .to_owned();
    world.remove(SERVICE, MANAGED_VMS, &registration_id(&guid, &vm_id));
    record_event(
        &mut world,
        &guid,
        "delete",
        "info",
        "managedvm",
        format!("Virtual server '{name}' is no longer managed by DR."),
        Some(&claims),
        now,
    );
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Removes the standby orchestrator: its VM is deleted and the deployment becomes non-HA.
async fn remove_standby(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> DraResult {
    let claims = authenticate(&sim, &headers)?;
    let now = sim.now_ms();
    let mut world = sim.world().await;
    let guid = guid_of(&dr_instance(&world, &id)?);
    let d = world.get(SERVICE, DEPLOYMENTS, &guid).ok_or_else(|| {
        DraError::not_found(format!("DR is not deployed for service instance {guid}"))
    })?;
    if d["orchestrator_ha"].as_bool() != Some(true) {
        return Err(DraError::not_found(format!(
            "service instance {guid} has no standby orchestrator"
        )));
    }
    if d["progress"]["status"].as_str() == Some("Running") {
        return Err(DraError::conflict(
            "the deployment is still running; remove the standby once it has finished",
        ));
    }
    let standby_vm = d["_standby_vm_id"].as_str().map(str::to_owned);
    let standby_name = d["_standby_vm_name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if let Some(vm) = &standby_vm {
        world.remove(POWER, PVM_INSTANCES, vm);
    }
    if let Some(d) = world.get_mut(SERVICE, DEPLOYMENTS, &guid)
        && let Some(obj) = d.as_object_mut()
    {
        obj.insert("orchestrator_ha".into(), json!(false));
        for key in [
            "standby_orchestrator_workspace_id",
            "standby_orchestrator_workspace_location",
            "standby_machine_type",
            "standby_orchestrator_name",
            "standby_orchestrator_network_ids",
            "standby_ssh_key_name",
            "standby_tier",
            "_standby_vm_id",
            "_standby_vm_name",
            "_standby_workspace_name",
            "_standby_zone",
        ] {
            obj.remove(key);
        }
        let progress = &mut obj["progress"];
        progress["standby_status"] = json!("NA");
        progress["standby_description"] = json!("Standby orchestrator is not configured.");
        progress["orch_standby_node_addition_status"] = json!("NA");
        progress["_standby_step"] = json!(0);
        progress["_standby_steps_at"] = json!([]);
        if progress["status"].as_str() == Some("Failed")
            && progress["primary_orchestrator_status"].as_str() == Some("active")
        {
            progress["status"] = json!("Active");
            progress["orchestrator_config_status"] = json!("Configured");
        }
    }
    for reg in world.ids_where(SERVICE, MANAGED_VMS, |m| {
        m["instance_id"].as_str() == Some(guid.as_str())
    }) {
        if let Some(m) = world.get_mut(SERVICE, MANAGED_VMS, &reg) {
            m["_dr_region"] = Value::Null;
        }
    }
    record_event(
        &mut world,
        &guid,
        "delete",
        "info",
        "managedr",
        format!(
            "Standby orchestrator {standby_name} of Service Instance '{guid}' has been removed."
        ),
        Some(&claims),
        now,
    );
    Ok(StatusCode::NO_CONTENT.into_response())
}
