//! `POST manage_dr` and `GET manage_dr`: the request validated against the real PowerVS
//! objects, the orchestrator VMs created through PowerVS, and the deployment record the
//! progress walks.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

use crate::sim::Sim;
use crate::store::{World, public_view};
use crate::util;

use super::progress::{deadlines, primary_step};
use super::{
    Caller, DEPLOYMENTS, DraError, DraResult, KNOWN_MACHINE_TYPES, NETWORKS, ORCHESTRATOR_CORES,
    ORCHESTRATOR_IMAGE, ORCHESTRATOR_MEMORY_GB, OWNER, POWER, PRIMARY_STEP_DURATIONS,
    PVM_INSTANCES, Params, SERVICE, STANDBY_STEP_DURATIONS, authenticate, dr_instance, guid_of,
    machine_types_of, ok, parse_body, record_event, workspace, workspace_zone,
};

/// The request fields echoed by `GET manage_dr` (never the secrets).
const ECHOED_FIELDS: &[&str] = &[
    "location_id",
    "machine_type",
    "orchestrator_ha",
    "orchestrator_location_type",
    "orchestrator_name",
    "orchestrator_workspace_id",
    "orchestrator_workspace_location",
    "orchestrator_network_ids",
    "proxy_ip",
    "region_id",
    "resource_instance",
    "secondary_workspace_id",
    "secret",
    "secret_group",
    "ssh_key_name",
    "standby_machine_type",
    "standby_orchestrator_name",
    "standby_orchestrator_workspace_id",
    "standby_orchestrator_workspace_location",
    "standby_orchestrator_network_ids",
    "standby_ssh_key_name",
    "standby_tier",
    "tenant_name",
    "tier",
    "guid",
];

fn str_field<'a>(body: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, DraError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(DraError::bad_request(format!("{field} must be a string"))),
    }
}

pub(super) fn required<'a>(body: &'a Map<String, Value>, field: &str) -> Result<&'a str, DraError> {
    str_field(body, field)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| DraError::bad_request(format!("{field} is required")))
}

fn string_list(body: &Map<String, Value>, field: &str) -> Result<Option<Vec<String>>, DraError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str().map(str::to_owned).ok_or_else(|| {
                    DraError::bad_request(format!("{field} must be a list of strings"))
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(DraError::bad_request(format!(
            "{field} must be a list of strings"
        ))),
    }
}

fn check_tier(field: &str, value: Option<&str>) -> Result<String, DraError> {
    match value {
        None => Ok("tier1".into()),
        Some(t @ ("tier1" | "tier3")) => Ok(t.to_owned()),
        Some(other) => Err(DraError::bad_request(format!(
            "{field} {other:?} is not supported for DR: use tier1 (10 IOPS/GB) or tier3 (3 IOPS/GB)"
        ))),
    }
}

/// One side (primary or standby) of a validated deployment request.
struct Side {
    workspace_guid: String,
    workspace_name: String,
    zone: String,
    machine_type: String,
    tier: String,
    network_ids: Vec<String>,
    ssh_key: Option<String>,
    vm_name: String,
}

// Plain data in, one object out: a struct would only rename the parameters.
#[allow(clippy::too_many_arguments)]
fn check_side(
    world: &World,
    label: &str,
    workspace_field: &str,
    workspace_id: &str,
    machine_type: &str,
    tier: String,
    network_ids: Option<Vec<String>>,
    ssh_key: Option<&str>,
    vm_name: String,
) -> Result<Side, DraError> {
    let ws = workspace(world, workspace_id).ok_or_else(|| {
        DraError::bad_request(format!(
            "{workspace_field} {workspace_id}: PowerVS workspace not found"
        ))
    })?;
    if ws["status"].as_str() != Some("active") {
        return Err(DraError::conflict(format!(
            "{workspace_field} {workspace_id}: the workspace is {}, not active",
            ws["status"].as_str().unwrap_or("unknown")
        )));
    }
    let guid = ws["id"].as_str().unwrap_or_default().to_owned();
    let ws_name = ws["name"].as_str().unwrap_or_default().to_owned();
    if !KNOWN_MACHINE_TYPES.contains(&machine_type) {
        return Err(DraError::bad_request(format!(
            "{label} machine type {machine_type:?} is not supported; supported: {}",
            KNOWN_MACHINE_TYPES.join(", ")
        )));
    }
    let offered = machine_types_of(ws);
    if !offered.iter().any(|m| m == machine_type) {
        return Err(DraError::bad_request(format!(
            "{label} machine type {machine_type} is not available in workspace {ws_name}; available: {}",
            offered.join(", ")
        )));
    }
    let private_networks: Vec<&Value> = world
        .list(POWER, NETWORKS)
        .filter(|n| n[OWNER].as_str() == Some(guid.as_str()) && n["type"].as_str() == Some("vlan"))
        .collect();
    let network_ids = match network_ids {
        Some(ids) if !ids.is_empty() => {
            for nid in &ids {
                let net = world
                    .get(POWER, NETWORKS, nid)
                    .filter(|n| n[OWNER].as_str() == Some(guid.as_str()))
                    .ok_or_else(|| {
                        DraError::bad_request(format!(
                            "{label} network {nid} is not a network of workspace {ws_name}"
                        ))
                    })?;
                if net["type"].as_str() != Some("vlan") {
                    return Err(DraError::bad_request(format!(
                        "{label} network {nid} ({}) is a {} network; the orchestrator accepts private (vlan) networks only",
                        net["name"].as_str().unwrap_or_default(),
                        net["type"].as_str().unwrap_or("public")
                    )));
                }
            }
            ids
        }
        _ => match private_networks
            .first()
            .and_then(|n| n["networkID"].as_str())
        {
            Some(first) => vec![first.to_owned()],
            None => {
                return Err(DraError::bad_request(format!(
                    "workspace {ws_name} has no private network for the {label} orchestrator"
                )));
            }
        },
    };
    if let Some(key) = ssh_key
        && world
            .find(POWER, "ssh_keys", |k| {
                (k[OWNER].as_str() == Some(guid.as_str())
                    || k["visibility"].as_str() == Some("account"))
                    && k["name"].as_str() == Some(key)
            })
            .is_none()
    {
        return Err(DraError::bad_request(format!(
            "{label} SSH key {key} was not found in workspace {ws_name}"
        )));
    }
    Ok(Side {
        zone: workspace_zone(ws),
        workspace_guid: guid,
        workspace_name: ws_name,
        machine_type: machine_type.to_owned(),
        tier,
        network_ids,
        ssh_key: ssh_key.map(str::to_owned),
        vm_name,
    })
}

/// Creates an orchestrator VM through PowerVS; returns (VM id, VM name).
fn create_orchestrator_vm(world: &mut World, sim: &Sim, side: &Side) -> Result<String, DraError> {
    let mut spec = json!({
        "serverName": side.vm_name,
        "imageID": ORCHESTRATOR_IMAGE,
        "processors": ORCHESTRATOR_CORES,
        "procType": "shared",
        "memory": ORCHESTRATOR_MEMORY_GB,
        "sysType": side.machine_type,
        "storageType": side.tier,
        "networks": side.network_ids.iter().map(|n| json!({"networkID": n})).collect::<Vec<_>>(),
    });
    if let Some(key) = &side.ssh_key {
        spec["keyPairName"] = json!(key);
    }
    let created = crate::services::power::create_instance(world, sim, &side.workspace_guid, &spec)
        .map_err(|e| {
            DraError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("orchestrator VM {} could not be created: {e}", side.vm_name),
            )
        })?;
    let vm = match &created {
        Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    vm["pvmInstanceID"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| {
            DraError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_server_error",
                "PowerVS returned no VM id",
            )
        })
}

fn step_deadlines(sim: &Sim, start_offset: Duration, steps: &[Duration]) -> Vec<u64> {
    let mut total = start_offset;
    steps
        .iter()
        .map(|d| {
            total += *d;
            sim.deadline_after(total)
        })
        .collect()
}

/// `POST manage_dr/{id}`, in phases: the query and the request's own fields, then the
/// instance, then both sides against the PowerVS objects; only then are the orchestrator VMs
/// created and the deployment recorded for the progress to walk.
pub(super) async fn create_manage_dr(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> DraResult {
    let claims = authenticate(&sim, &headers)?;
    let body = parse_body(&body)?;
    let redeploy = check_query(&params)?;
    super::request::check(&body)?;
    let recorded = super::request::record(&body, &params, &headers);
    let fields = check_fields(&sim, &body)?;

    let mut world = sim.world().await;
    let instance = dr_instance(&world, &id)?;
    let guid = guid_of(&instance);
    let existing = existing_deployment(&world, &instance, &guid, redeploy)?;
    let deployment_name = instance["name"].as_str().unwrap_or_default().to_owned();
    let (primary, standby) = check_sides(&world, &body, &deployment_name, &fields)?;

    let now = sim.now_ms();
    let vms = create_vms(
        &mut world,
        &sim,
        existing.as_ref(),
        redeploy,
        &primary,
        standby.as_ref(),
    )?;
    let plan = Plan {
        guid,
        redeploy,
        existing,
        fields,
        primary,
        standby,
        vms,
    };
    let crn = instance["crn"].as_str().unwrap_or_default().to_owned();
    // The emulator serves the dashboard itself (see `dashboard`), at its own address.
    let dashboard_url = format!(
        "{}/dra/dashboard/{}",
        crate::services::kit::base_url(&sim, &headers),
        plan.guid
    );
    let deployment = deployment_record(&plan, &body, crn, dashboard_url, recorded, now);
    world.insert(SERVICE, DEPLOYMENTS, &plan.guid, deployment.clone());
    record_event(
        &mut world,
        &plan.guid,
        "create",
        "info",
        "managedr",
        started_message(&plan),
        Some(&claims),
        now,
    );
    Ok(ok(
        &json!({"dashboard_url": deployment["dashboard_url"], "id": deployment["id"]}),
    ))
}

/// The query: `stand_by_redeploy` (whether only the standby is rebuilt, returned) and
/// `accepts_incomplete`, which this asynchronous plan requires.
fn check_query(params: &HashMap<String, String>) -> Result<bool, DraError> {
    let redeploy = match params.get("stand_by_redeploy").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(DraError::bad_request(format!(
                "stand_by_redeploy must be \"true\" or \"false\", got {other:?}"
            )));
        }
    };
    match params.get("accepts_incomplete").map(String::as_str) {
        None | Some("true") => {}
        Some("false") => {
            return Err(DraError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "async_required",
                "This service plan requires client support for asynchronous service operations (accepts_incomplete=true).",
            ));
        }
        Some(other) => {
            return Err(DraError::bad_request(format!(
                "accepts_incomplete must be true or false, got {other:?}"
            )));
        }
    }
    Ok(redeploy)
}

/// What `manage_dr` decides from the request's own fields, before it looks at the world.
struct CheckedFields<'a> {
    /// Empty only when Secrets Manager holds the credentials (`super::request::check`).
    password: &'a str,
    ha: bool,
    tier: String,
    standby_tier: String,
}

/// Checks the fields that need no other object: location type, password, API key, proxy,
/// HA flag and tiers (and counts the secrets received).
fn check_fields<'a>(
    sim: &Sim,
    body: &'a Map<String, Value>,
) -> Result<CheckedFields<'a>, DraError> {
    let location_type = required(body, "orchestrator_location_type")?;
    if location_type != "off-premises" && location_type != "on-premises" {
        return Err(DraError::bad_request(format!(
            "orchestrator_location_type must be off-premises or on-premises, got {location_type:?}"
        )));
    }
    let password = str_field(body, "orchestrator_password")?.unwrap_or_default();
    if password.len() > 256 || !password.chars().all(|c| c.is_ascii_graphic()) {
        return Err(DraError::bad_request(
            "orchestrator_password must be 1 to 256 printable ASCII characters without spaces",
        ));
    }
    if let Some(key) = str_field(body, "api_key")?
        && key != sim.config().api_key
    {
        return Err(DraError::bad_request(
            "api_key is not valid: IAM did not accept it",
        ));
    }
    if let Some(proxy) = str_field(body, "proxy_ip")?
        && !valid_proxy(proxy)
    {
        return Err(DraError::bad_request(format!(
            "proxy_ip {proxy:?} must be IP:port or host:port, e.g. 10.30.40.4:3128"
        )));
    }
    for secret in ["api_key", "managed_apikey"] {
        if str_field(body, secret)?.is_some_and(|v| !v.is_empty()) {
            sim.count_secret_received(&format!("dra.{secret}"));
        }
    }
    let ha = match body.get("orchestrator_ha") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(DraError::bad_request("orchestrator_ha must be a boolean")),
    };
    let tier = check_tier("tier", str_field(body, "tier")?)?;
    let standby_tier = check_tier("standby_tier", str_field(body, "standby_tier")?)?;
    Ok(CheckedFields {
        password,
        ha,
        tier,
        standby_tier,
    })
}

/// The instance must be active; without a redeploy it must not be deployed yet (or have
/// failed), with one it must be deployed and no longer running. Returns the deployment a
/// retry or redeploy replaces.
fn existing_deployment(
    world: &World,
    instance: &Value,
    guid: &str,
    redeploy: bool,
) -> Result<Option<Value>, DraError> {
    let state = instance["state"].as_str().unwrap_or_default();
    if state != "active" {
        return Err(DraError::conflict(format!(
            "service instance {guid} is {state}; manage_dr needs an active instance"
        )));
    }
    let existing = world.get(SERVICE, DEPLOYMENTS, guid).cloned();
    if let Some(d) = &existing {
        let status = d["progress"]["status"].as_str().unwrap_or_default();
        if redeploy {
            if status == "Running" {
                return Err(DraError::conflict(
                    "the deployment is still running; redeploy the standby once it has finished",
                ));
            }
        } else if status != "Failed" {
            return Err(DraError::conflict(format!(
                "DR is already deployed for service instance {guid} (status {status})"
            )));
        }
    } else if redeploy {
        return Err(DraError::conflict(
            "stand_by_redeploy=true needs an existing deployment",
        ));
    }
    Ok(existing)
}

/// Both sides checked against the PowerVS objects: the primary in the zone `location_id`
/// names and, for HA, the standby in another workspace.
fn check_sides(
    world: &World,
    body: &Map<String, Value>,
    deployment_name: &str,
    fields: &CheckedFields,
) -> Result<(Side, Option<Side>), DraError> {
    let location_id = required(body, "location_id")?.to_owned();
    let primary = check_side(
        world,
        "primary",
        "orchestrator_workspace_id",
        required(body, "orchestrator_workspace_id")?,
        required(body, "machine_type")?,
        fields.tier.clone(),
        string_list(body, "orchestrator_network_ids")?,
        str_field(body, "ssh_key_name")?,
        format!("{deployment_name}-orchestrator"),
    )?;
    if primary.zone != location_id {
        return Err(DraError::bad_request(format!(
            "location_id {location_id} does not match the zone {} of workspace {}",
            primary.zone, primary.workspace_name
        )));
    }
    let standby = if fields.ha {
        let ws_id = required(body, "standby_orchestrator_workspace_id")?;
        let mt = str_field(body, "standby_machine_type")?
            .unwrap_or(primary.machine_type.as_str())
            .to_owned();
        let side = check_side(
            world,
            "standby",
            "standby_orchestrator_workspace_id",
            ws_id,
            &mt,
            fields.standby_tier.clone(),
            string_list(body, "standby_orchestrator_network_ids")?,
            str_field(body, "standby_ssh_key_name")?.or(str_field(body, "ssh_key_name")?),
            format!("{deployment_name}-standby"),
        )?;
        if side.workspace_guid == primary.workspace_guid {
            return Err(DraError::bad_request(
                "the standby orchestrator must be in a different workspace than the primary",
            ));
        }
        Some(side)
    } else {
        None
    };
    Ok((primary, standby))
}

/// The orchestrator VMs of a deployment and the deadlines of their steps.
struct OrchestratorVms {
    primary_vm: String,
    primary_at: Vec<u64>,
    /// 1, or 5 when a standby redeploy keeps the primary as it is.
    first_step: u64,
    standby_vm: Option<String>,
    standby_at: Vec<u64>,
}

/// Creates the VMs the deployment (re)builds: a retry after a failure replaces both, a
/// standby redeploy only the standby and keeps the primary and its deadlines.
fn create_vms(
    world: &mut World,
    sim: &Sim,
    existing: Option<&Value>,
    redeploy: bool,
    primary: &Side,
    standby: Option<&Side>,
) -> Result<OrchestratorVms, DraError> {
    if let Some(d) = existing {
        let stale: &[&str] = if redeploy {
            &["_standby_vm_id"]
        } else {
            &["_primary_vm_id", "_standby_vm_id"]
        };
        for key in stale {
            if let Some(old) = d[*key].as_str() {
                world.remove(POWER, PVM_INSTANCES, old);
            }
        }
    }
    let (primary_vm, primary_at, first_step) = match (existing, redeploy) {
        (Some(d), true) => (
            d["_primary_vm_id"].as_str().unwrap_or_default().to_owned(),
            deadlines(d, "_primary_steps_at"),
            5,
        ),
        _ => {
            let vm = create_orchestrator_vm(world, sim, primary)?;
            (
                vm,
                step_deadlines(sim, Duration::ZERO, &PRIMARY_STEP_DURATIONS),
                1,
            )
        }
    };
    let standby_vm = match standby {
        Some(side) => Some(create_orchestrator_vm(world, sim, side)?),
        None => None,
    };
    let primary_total: Duration = if first_step == 5 {
        Duration::ZERO
    } else {
        PRIMARY_STEP_DURATIONS.iter().sum()
    };
    let standby_at = if standby.is_some() {
        step_deadlines(sim, primary_total, &STANDBY_STEP_DURATIONS)
    } else {
        Vec::new()
    };
    Ok(OrchestratorVms {
        primary_vm,
        primary_at,
        first_step,
        standby_vm,
        standby_at,
    })
}

/// Everything a checked `manage_dr` request decided, for the deployment record.
struct Plan<'a> {
    guid: String,
    redeploy: bool,
    /// The deployment a retry or a standby redeploy replaces.
    existing: Option<Value>,
    fields: CheckedFields<'a>,
    primary: Side,
    standby: Option<Side>,
    vms: OrchestratorVms,
}

/// The deployment record: what `GET manage_dr` shows (the echoed request and the sides),
/// the internal `_` fields the progress and SSH logins use, and the initial `progress`.
fn deployment_record(
    plan: &Plan,
    body: &Map<String, Value>,
    crn: String,
    dashboard_url: String,
    recorded: Value,
    now: u64,
) -> Value {
    let ha = plan.fields.ha;
    let primary = &plan.primary;
    let standby = &plan.standby;
    let mut deployment = json!({
        "id": crn,
        "dashboard_url": dashboard_url,
        "orchestrator_ha": ha,
        "tier": primary.tier,
    });
    for field in ECHOED_FIELDS {
        if let Some(v) = body.get(*field).filter(|v| !v.is_null()) {
            deployment[*field] = v.clone();
        }
    }
    deployment["orchestrator_ha"] = json!(ha);
    deployment["tier"] = json!(primary.tier);
    deployment["orchestrator_network_ids"] = json!(primary.network_ids);
    if let Some(s) = standby {
        deployment["standby_tier"] = json!(s.tier);
        deployment["standby_machine_type"] = json!(s.machine_type);
        deployment["standby_orchestrator_network_ids"] = json!(s.network_ids);
        if deployment.get("standby_orchestrator_name").is_none() {
            deployment["standby_orchestrator_name"] = body
                .get("orchestrator_name")
                .cloned()
                .unwrap_or(Value::Null);
        }
    }
    deployment["_instance_id"] = json!(plan.guid);
    deployment["_primary_vm_id"] = json!(plan.vms.primary_vm);
    deployment["_primary_vm_name"] = json!(primary.vm_name);
    deployment["_primary_workspace_name"] = json!(primary.workspace_name);
    deployment["_standby_vm_id"] = json!(plan.vms.standby_vm);
    deployment["_standby_vm_name"] = json!(standby.as_ref().map(|s| s.vm_name.clone()));
    deployment["_standby_workspace_name"] =
        json!(standby.as_ref().map(|s| s.workspace_name.clone()));
    deployment["_standby_zone"] = json!(standby.as_ref().map(|s| s.zone.clone()));
    // Root's password on the orchestrator LPARs: kept only as a salted hash for SSH logins.
    // A standby redeploy brings the standby's own password; the primary keeps its own.
    // Without a password (Secrets Manager holds it) root logs in with the SSH key only.
    let password = plan.fields.password;
    let password_hash = if password.is_empty() {
        Value::Null
    } else {
        json!(crate::password::hash_password(password))
    };
    match (&plan.existing, plan.redeploy) {
        (Some(d), true) => {
            deployment["_password_hash"] = d["_password_hash"].clone();
            deployment["_standby_password_hash"] = password_hash;
        }
        _ => deployment["_password_hash"] = password_hash,
    }
    deployment["_manage_dr_request"] = recorded;
    deployment["progress"] = initial_progress(plan, now);
    deployment
}

/// The `progress` of a deployment that has just started: its first step, and for a standby
/// redeploy the primary's finished state and start time.
fn initial_progress(plan: &Plan, now: u64) -> Value {
    let ha = plan.fields.ha;
    let redeploy = plan.redeploy;
    let existing = &plan.existing;
    let started = existing
        .as_ref()
        .filter(|_| redeploy)
        .and_then(|d| d["progress"]["_started_ms"].as_u64())
        .unwrap_or(now);
    let (pdesc, pstatus) = primary_step(plan.vms.first_step, &plan.primary.vm_name, "");
    let mut progress = json!({
        "status": "Running",
        "primary_description": pdesc,
        "primary_orchestrator_status": pstatus,
        "standby_description": if ha { "Standby orchestrator deployment starts after the primary orchestrator is deployed." } else { "Standby orchestrator is not configured." },
        "standby_status": "NA",
        "orchestrator_config_status": "InProgress",
        "orch_ext_connectivity_status": "",
        "orchestrator_cluster_message": "",
        "orch_standby_node_addition_status": if ha { "Pending" } else { "NA" },
        "last_updated_orchestrator_deployment_time": util::rfc3339(now),
        "last_updated_standby_orchestrator_deployment_time": util::rfc3339(now),
        "_started_ms": started,
        "_primary_step": plan.vms.first_step,
        "_standby_step": 0,
        "_primary_steps_at": plan.vms.primary_at,
        "_standby_steps_at": plan.vms.standby_at,
    });
    if redeploy && let Some(d) = existing {
        progress["primary_description"] = d["progress"]["primary_description"].clone();
        progress["last_updated_orchestrator_deployment_time"] =
            d["progress"]["last_updated_orchestrator_deployment_time"].clone();
    }
    progress
}

/// The event that says the deployment (or the standby redeploy) has started.
fn started_message(plan: &Plan) -> String {
    let guid = &plan.guid;
    if plan.redeploy {
        format!("Standby orchestrator redeployment for Service Instance '{guid}' has started.")
    } else {
        format!(
            "DR deployment for Service Instance '{guid}' has started: primary orchestrator {} in workspace {}.",
            plan.primary.vm_name, plan.primary.workspace_name
        )
    }
}

pub(super) fn valid_proxy(text: &str) -> bool {
    match text.rsplit_once(':') {
        Some((host, port)) => {
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                && port.parse::<u16>().is_ok_and(|p| p > 0)
        }
        None => false,
    }
}

pub(super) fn deployment<'a>(world: &'a World, guid: &str) -> Result<&'a Value, DraError> {
    world
        .get(SERVICE, DEPLOYMENTS, guid)
        .ok_or_else(|| DraError::not_found(format!("DR is not deployed for service instance {guid}; call POST /drautomation/v1/manage_dr/{guid} first")))
}

pub(super) async fn get_manage_dr(Path(id): Path<String>, caller: Caller) -> DraResult {
    let (world, instance) = caller.instance(&id).await?;
    let guid = guid_of(&instance);
    let d = deployment(&world, &guid)?;
    let mut view = public_view(d);
    if let Some(obj) = view.as_object_mut() {
        obj.remove("progress");
    }
    let etag = format!(
        "W/\"{:x}\"",
        view.to_string().len() as u64 * 31 + d["progress"]["_primary_step"].as_u64().unwrap_or(0)
    );
    let mut response = (StatusCode::OK, axum::Json(view)).into_response();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    Ok(response)
}
