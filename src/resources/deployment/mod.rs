//! What `dr_orchestrator` and `dr_ha_standby` share: offline validators of the arguments they
//! both take, plan-time look-ups of workspaces, networks and machine types, and the deployment
//! waiter that logs DR Automation's own progress lines.
//!
//! Plan-time checks only read (GET): a plan that fails must leave the cloud untouched.
//! [`network`] holds the orchestrator VM's networks (both resources read a VM's NICs) and
//! [`instances`] finds the account's DR Automation instances for `terraform query`; [`schema`]
//! holds the arguments both schemas declare alike.

pub mod instances;
pub mod network;
pub mod schema;

use std::sync::Mutex;
use std::time::Duration;

use tf_framework::diag::{AttributePath, Diagnostics, PathStep};
use tf_framework::path;
use tf_framework::timeouts::TimeoutDefaults;
use tf_framework::typed::ConfigView;
use tf_framework::validators::{Custom, custom};
use tf_framework::value::Value;
use tokio::time::Instant;

use crate::cloud::dr_automation::{ServiceInstanceStatus, deployment_progress};
use crate::cloud::poll::{PollOptions, wait_for};
use crate::cloud::power::{Network, Workspace};
use crate::cloud::resource_controller::ListInstances;
use crate::cloud::{Clients, CloudError};
use crate::validate::{machine_type, tier};

/// Global Catalog name of the DR Automation service and its plan: a `dr_orchestrator`
/// provisions its service instance with them, the plan id looked up by name.
pub const DR_SERVICE_NAME: &str = "power-dr-automation";
pub const DR_PLAN_NAME: &str = "power-virtual-server-dr-automation";
/// DR Automation deploys orchestrators in IBM's cloud (the alternative is on-premises).
pub const LOCATION_TYPE: &str = "off-premises";

/// `<name>-standby`: the name of the standby orchestrator VM.
pub fn standby_vm_name(deployment: &str) -> String {
    format!("{deployment}-standby")
}

/// `Ok(None)` for a 404, so "gone" reads as a value rather than an error.
pub fn absent_if_not_found<T>(result: Result<T, CloudError>) -> Result<Option<T>, CloudError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// `None` for a missing or blank string, as the APIs report unset fields either way.
pub fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|v| !v.trim().is_empty())
}

/// The networks an orchestrator was deployed with, as DR Automation reports them, or the
/// prior state's while it reports none: networks attached later are not drift.
pub fn deployed_network_ids(
    reported: &Option<Vec<String>>,
    prior: Option<&Vec<String>>,
) -> Option<Vec<String>> {
    reported
        .clone()
        .filter(|ids| !ids.is_empty())
        .or_else(|| prior.cloned())
}

/// The GUID a CRN ends with (`crn:...:<guid>::`); `None` for text that is not a CRN.
pub fn crn_guid(text: &str) -> Option<&str> {
    text.starts_with("crn:").then(|| {
        text.trim_end_matches(':')
            .rsplit(':')
            .next()
            .unwrap_or_default()
    })
}

/// Resource Controller states of an instance that is gone or going.
pub fn is_removed_state(state: Option<&str>) -> bool {
    matches!(
        state,
        Some("removed" | "pending_removal" | "pending_reclamation")
    )
}

/// Time left until `deadline` (zero when it has passed).
pub fn remaining(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

/// Poll options for one wait of an operation that must end by `deadline`. DR deployments
/// take minutes, so checks back off to 10 s; a failure is still seen within seconds.
pub fn poll_until(clients: &Clients, what: impl Into<String>, deadline: Instant) -> PollOptions {
    clients
        .poll_options(what, remaining(deadline))
        .intervals(Duration::from_secs(1), Duration::from_secs(10))
}

// ---------------------------------------------------------------------------------------------
// Offline validators

fn error(diags: &mut Diagnostics, path: &AttributePath, summary: &str, detail: String) {
    diags.error_at(path.clone(), summary, format!("{path}: {detail}"));
}

/// `tier`: tier1 or tier3, named with their IOPS/GB.
pub fn tier_validator() -> Custom {
    custom(
        format!("a DR storage tier: {}", tier::allowed_text()),
        |path, value, diags| {
            if let Some(t) = value.as_str()
                && let Err(e) = tier::check(t)
            {
                error(diags, path, "Unsupported storage tier", e);
            }
        },
    )
}

/// `machine_type`: a Power system DR Automation knows.
pub fn machine_type_validator() -> Custom {
    custom(
        "a Power machine type such as s922 or e1080",
        |path, value, diags| {
            if let Some(m) = value.as_str()
                && let Err(e) = machine_type::check_known(m)
            {
                error(diags, path, "Unknown machine type", e);
            }
        },
    )
}

/// `workspace_id`: the workspace GUID. The landing zone also outputs the CRN
/// (`powervs_workspace_id`); say which output to use instead of failing later.
pub fn workspace_guid_validator() -> Custom {
    custom("a PowerVS workspace GUID", |path, value, diags| {
        let Some(text) = value.as_str() else {
            return;
        };
        if let Some(guid) = crn_guid(text) {
            error(
                diags,
                path,
                "Workspace CRN instead of GUID",
                format!(
                    "expected the workspace GUID (the landing zone's powervs_workspace_guid), got the CRN \
                     {text:?}; its GUID is {guid:?}."
                ),
            );
        } else if text.trim().is_empty() {
            error(
                diags,
                path,
                "Empty workspace id",
                "expected the PowerVS workspace GUID.".into(),
            );
        }
    })
}

/// `network_ids`: 1 to 10 distinct, non-empty network ids.
pub fn network_ids_validator() -> Custom {
    custom(
        "1 to 10 distinct PowerVS network ids",
        |path, value, diags| {
            let Value::List(items) = value else {
                return;
            };
            if items.is_empty() || items.len() > 10 {
                error(
                    diags,
                    path,
                    "Invalid number of networks",
                    format!(
                        "the orchestrator takes 1 to 10 private networks, got {}.",
                        items.len()
                    ),
                );
            }
            let mut seen = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let Some(id) = item.as_str() else {
                    continue;
                };
                let at = path.with(PathStep::Index(i64::try_from(i).unwrap_or(i64::MAX)));
                if id.trim().is_empty() {
                    error(
                        diags,
                        &at,
                        "Empty network id",
                        "expected a PowerVS network id.".into(),
                    );
                } else if seen.contains(&id) {
                    error(
                        diags,
                        &at,
                        "Duplicate network id",
                        format!("{id:?} is listed twice; each network is attached once."),
                    );
                }
                seen.push(id);
            }
        },
    )
}

/// The orchestrator password rule of the API: 1 to 256 printable ASCII characters, no
/// spaces. The value itself is never quoted.
pub fn password_validator() -> Custom {
    custom(
        "1 to 256 printable ASCII characters without spaces",
        |path, value, diags| {
            if let Some(p) = value.as_str()
                && (p.is_empty() || p.len() > 256 || !p.chars().all(|c| c.is_ascii_graphic()))
            {
                error(
                    diags,
                    path,
                    "Invalid orchestrator password",
                    format!(
                        "the password must be 1 to 256 printable ASCII characters without spaces (got {} \
                         characters).",
                        p.chars().count()
                    ),
                );
            }
        },
    )
}

/// The password a deployment sends: the write-only one from the configuration (Terraform
/// never plans or stores it), else the stored one from the plan.
pub fn chosen_password(
    write_only: Option<&String>,
    stored: Option<&String>,
) -> Result<String, Diagnostics> {
    chosen_secret(write_only, stored).ok_or_else(|| {
        Diagnostics::from_error_at(
            path!("orchestrator_password_wo"),
            "Missing orchestrator password",
            "Set orchestrator_password_wo (Terraform 1.11 and later) or orchestrator_password.",
        )
    })
}

/// A secret a deployment sends: the write-only value from the configuration, else the stored
/// one from the plan.
pub fn chosen_secret(write_only: Option<&String>, stored: Option<&String>) -> Option<String> {
    write_only.or(stored).cloned()
}

/// Create, update and delete timeouts of an orchestrator deployment: DR Automation takes up to
/// an hour to deploy one and its deletion waits for the VMs to go.
pub fn deployment_timeouts() -> TimeoutDefaults {
    TimeoutDefaults::default()
        .create(Duration::from_secs(90 * 60))
        .update(Duration::from_secs(30 * 60))
        .delete(Duration::from_secs(60 * 60))
}

/// Whether a configuration value is set: `Some(true)`, null: `Some(false)`, or not yet known.
pub fn presence(config: &ConfigView<'_>, name: &str) -> Option<bool> {
    match config.raw().attr(name) {
        None | Some(Value::Null) => Some(false),
        Some(v) if v.is_unknown() => None,
        Some(_) => Some(true),
    }
}

/// A secret that is either stored (`<plain>`, sensitive) or write-only (`<plain>_wo` plus
/// `<plain>_wo_version`): never both, and the version only with the write-only value.
/// `missing` is the detail of the error when neither is set, `None` when the secret is
/// optional; `what` names the secret in the summaries ("password", "API key").
pub fn check_secret_pair(
    config: &ConfigView<'_>,
    plain: &str,
    what: &str,
    missing: Option<&str>,
    diags: &mut Diagnostics,
) {
    let write_only = format!("{plain}_wo");
    let version = format!("{plain}_wo_version");
    match (presence(config, plain), presence(config, &write_only)) {
        (Some(true), Some(true)) => diags.error_at(
            AttributePath::root(&write_only),
            format!("Conflicting {what}s"),
            format!(
                "{plain} and {write_only} are both set; set exactly one: {write_only} (write-only, never \
                 stored; Terraform 1.11 and later) or {plain} (sensitive, stored in state; any Terraform)."
            ),
        ),
        (Some(false), Some(false)) => {
            if let Some(detail) = missing {
                diags.error_at(
                    AttributePath::root(&write_only),
                    format!("Missing orchestrator {what}"),
                    detail,
                );
            }
        }
        _ => {}
    }
    if presence(config, &version) == Some(true) && presence(config, &write_only) == Some(false) {
        diags.error_at(
            AttributePath::root(&version),
            "Version without a write-only value",
            format!(
                "{version} only tells Terraform that {write_only} changed; set {write_only} too, or \
                 remove the version."
            ),
        );
    }
}

/// The detail of a missing orchestrator password.
pub const PASSWORD_MISSING: &str = "The orchestrator needs a password for its UI login: set orchestrator_password_wo \
     (write-only, Terraform 1.11 and later) or orchestrator_password (sensitive, for older Terraform).";

/// Exactly one of `orchestrator_password` (sensitive, stored in state) and
/// `orchestrator_password_wo` (write-only, Terraform 1.11+); the version goes with the latter.
pub fn check_password_choice(config: &ConfigView<'_>, diags: &mut Diagnostics) {
    check_secret_pair(
        config,
        "orchestrator_password",
        "password",
        Some(PASSWORD_MISSING),
        diags,
    );
}

// ---------------------------------------------------------------------------------------------
// Plan-time look-ups (GET only)

/// The workspace with `guid`, or `None` when the account has none.
pub async fn find_workspace(
    clients: &Clients,
    guid: &str,
) -> Result<Option<Workspace>, CloudError> {
    match clients.power.get_workspace(guid).await {
        Ok(w) => Ok(Some(w)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// The error for a workspace GUID the account does not have, listing the ones it has.
pub async fn workspace_not_found(
    clients: &Clients,
    path: AttributePath,
    guid: &str,
) -> Diagnostics {
    let known = match clients.power.list_workspaces().await {
        Ok(list) if !list.is_empty() => {
            let names: Vec<String> = list
                .iter()
                .map(|w| format!("{} ({}, {})", w.id, w.name, w.zone().unwrap_or("?")))
                .collect();
            format!(" Workspaces in this account: {}.", names.join("; "))
        }
        _ => String::new(),
    };
    Diagnostics::from_error_at(
        path.clone(),
        "PowerVS workspace not found",
        format!("{path}: no PowerVS workspace has the GUID {guid:?}.{known}"),
    )
}

/// The networks of a workspace with their details (the list answers references without
/// CIDRs, so each network is read once more).
pub async fn workspace_networks(
    clients: &Clients,
    workspace: &Workspace,
) -> Result<Vec<Network>, CloudError> {
    let wc = clients
        .power
        .workspace(&workspace.id, workspace.zone().unwrap_or_default());
    let mut out = Vec::new();
    for reference in wc.list_networks().await? {
        if reference.cidr.is_some() {
            out.push(reference);
            continue;
        }
        match wc.get_network(&reference.network_id).await {
            Ok(n) => out.push(n),
            // Deleted between the two calls.
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

fn describe_network(n: &Network) -> String {
    format!(
        "{} ({}, {})",
        n.network_id,
        n.name,
        n.cidr.as_deref().unwrap_or("no CIDR")
    )
}

/// Every id must be a network of `workspace` and private (`vlan`); errors point at the list
/// element and list the private networks that would do.
pub fn check_network_ids(
    workspace: &Workspace,
    networks: &[Network],
    ids: &[String],
    path: &AttributePath,
    diags: &mut Diagnostics,
) {
    let private: Vec<String> = networks
        .iter()
        .filter(|n| n.type_ == "vlan")
        .map(describe_network)
        .collect();
    let allowed = if private.is_empty() {
        "The workspace has no private network.".to_string()
    } else {
        format!("Its private networks: {}.", private.join("; "))
    };
    for (i, id) in ids.iter().enumerate() {
        let at = path.with(PathStep::Index(i64::try_from(i).unwrap_or(i64::MAX)));
        match networks.iter().find(|n| &n.network_id == id || &n.name == id) {
            None => diags.error_at(
                at.clone(),
                "Network not in workspace",
                format!(
                    "{at}: {id:?} is not a network of workspace {} ({}). {allowed}",
                    workspace.name, workspace.id
                ),
            ),
            Some(n) if n.type_ != "vlan" => diags.error_at(
                at.clone(),
                "Public network",
                format!(
                    "{at}: {id:?} is network {} of type {:?}; the orchestrator accepts private (vlan) \
                     networks only. {allowed}",
                    n.name, n.type_
                ),
            ),
            Some(n) if &n.network_id != id => diags.error_at(
                at.clone(),
                "Network name instead of id",
                format!(
                    "{at}: {id:?} is the name of network {}; use its id {:?}.",
                    n.name, n.network_id
                ),
            ),
            Some(_) => {}
        }
    }
}

/// A DR Automation instance to ask about machine types: `preferred` if given, else any
/// active one in the account. The machine-type API hangs off an instance, so before the
/// first orchestrator exists only the static list can be checked.
pub async fn dr_instance_for_queries(
    clients: &Clients,
    preferred: Option<&str>,
) -> Result<Option<String>, CloudError> {
    if let Some(id) = preferred {
        return Ok(Some(id.to_string()));
    }
    let instances = clients
        .resource_controller
        .list_instances(&ListInstances {
            type_: Some("service_instance".into()),
            ..ListInstances::default()
        })
        .await?;
    Ok(instances
        .into_iter()
        .filter(|i| i.state.as_deref() == Some("active"))
        .filter(|i| {
            i.crn
                .as_deref()
                .is_some_and(|c| c.contains(&format!(":{DR_SERVICE_NAME}:")))
        })
        .find_map(|i| i.guid))
}

/// The machine types DR Automation offers in `workspace_name` (asked through `instance`),
/// `None` when the API does not list that workspace.
pub async fn offered_machine_types(
    clients: &Clients,
    instance: &str,
    primary_workspace_name: &str,
    standby_workspace_name: Option<&str>,
    wanted: &str,
) -> Result<Option<Vec<String>>, CloudError> {
    let by_workspace = match clients
        .dr_automation
        .get_machine_types(instance, primary_workspace_name, standby_workspace_name)
        .await
    {
        Ok(list) => list,
        // The instance vanished or does not know the workspace: nothing to check against.
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(by_workspace.workspaces.get(wanted).cloned())
}

// ---------------------------------------------------------------------------------------------
// Waiting for a deployment

/// Waits for the deployment (and the standby when `ha`) to be active, logging each new step
/// DR Automation reports ("2/5: Creating primary orchestrator VM.") at INFO. A failed step
/// ends the wait at once with the API's own error description.
pub async fn wait_deployment_logged(
    clients: &Clients,
    instance: &str,
    ha: bool,
    options: &PollOptions,
) -> Result<ServiceInstanceStatus, CloudError> {
    let last_logged = Mutex::new(String::new());
    wait_for(options, || async {
        let status = clients.dr_automation.get_last_operation(instance).await?;
        let step = if ha && status.standby_status.as_deref().is_some_and(|s| s != "NA") {
            status.standby_description.clone()
        } else {
            status.primary_description.clone()
        };
        if let Some(step) = step.filter(|s| !s.is_empty()) {
            let mut last = last_logged.lock().unwrap_or_else(|p| p.into_inner());
            if *last != step {
                tracing::info!(dr_instance = instance, "{step}");
                *last = step;
            }
        }
        Ok(deployment_progress(&status, ha))
    })
    .await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use tf_framework::validators::Validator;

    fn run(v: &Custom, path: &str, value: Value) -> String {
        let mut d = Diagnostics::new();
        v.validate(&AttributePath::root(path), &value, &mut d);
        d.to_string()
    }

    #[test]
    fn validators_name_the_path_the_value_and_what_is_allowed() {
        let t = run(&tier_validator(), "tier", Value::String("tier0".into()));
        assert!(t.contains("(at tier)") && t.contains("\"tier0\""), "{t}");
        assert!(t.contains("tier1 (10 IOPS/GB) or tier3 (3 IOPS/GB)"), "{t}");
        let m = run(
            &machine_type_validator(),
            "machine_type",
            Value::String("x1".into()),
        );
        assert!(m.contains("machine_type") && m.contains("s922"), "{m}");
        let w = run(
            &workspace_guid_validator(),
            "workspace_id",
            Value::String("crn:v1:bluemix:public:power-iaas:dal10:a/acc:abc-123::".into()),
        );
        assert!(w.contains("\"abc-123\""), "{w}");
        let n = run(
            &network_ids_validator(),
            "network_ids",
            Value::List(vec![Value::String("a".into()), Value::String("a".into())]),
        );
        assert!(
            n.contains("network_ids[1]") && n.contains("listed twice"),
            "{n}"
        );
        let p = run(
            &password_validator(),
            "orchestrator_password",
            Value::String("has space".into()),
        );
        assert!(
            p.contains("printable ASCII") && !p.contains("has space"),
            "{p}"
        );
    }

    #[test]
    fn network_check_points_at_the_element_and_lists_private_networks() {
        let ws = Workspace {
            id: "ws-1".into(),
            name: "primary".into(),
            ..Workspace::default()
        };
        let net = |id: &str, name: &str, ty: &str, cidr: &str| Network {
            network_id: id.into(),
            name: name.into(),
            type_: ty.into(),
            cidr: Some(cidr.into()),
            ..Network::default()
        };
        let networks = vec![
            net("n-1", "mgmt_net", "vlan", "10.51.0.0/24"),
            net("n-2", "public", "pub-vlan", "169.48.0.0/29"),
        ];
        let mut d = Diagnostics::new();
        let ids: Vec<String> = ["n-1", "n-2", "n-9", "mgmt_net"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        check_network_ids(
            &ws,
            &networks,
            &ids,
            &AttributePath::root("network_ids"),
            &mut d,
        );
        let text = d.to_string();
        assert_eq!(d.len(), 3, "{text}");
        assert!(
            text.contains("network_ids[1]") && text.contains("private (vlan)"),
            "{text}"
        );
        assert!(
            text.contains("network_ids[2]") && text.contains("n-1 (mgmt_net, 10.51.0.0/24)"),
            "{text}"
        );
        assert!(
            text.contains("network_ids[3]") && text.contains("use its id \"n-1\""),
            "{text}"
        );
    }
}
