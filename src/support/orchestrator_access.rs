//! Reaching a DR orchestrator's KSYS from resources, data sources and actions.
//!
//! Everything the orchestrator alone can do goes through `ksysmgr` over SSH
//! ([`crate::cloud::ksys`]). This module holds what every user of it shares:
//! - where an orchestrator answers ([`locate`]: the IPs DR Automation reports, cached);
//! - what it manages ([`inventory`]: one `query vm state=manage` and one `query workgroup` per
//!   orchestrator, shared by every reader in the window, so a refresh of 1,000 managed VMs is
//!   two remote commands);
//! - the KSYS sites a VM needs before it can be managed ([`ensure_sites`]);
//! - the plan-time diagnostic when the provider has no `orchestrator_ssh` ([`ksys_for_plan`]),
//!   given once per process so a plan with 50 VMs shows it once.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tf_framework::diag::Diagnostics;

use crate::cloud::ksys::parse::{self, KsysVm, Site, Workgroup};
use crate::cloud::ksys::{KsysClient, KsysError, Orchestrator};
use crate::cloud::{Clients, CloudError};
use crate::support::coalesce::{Coalescer, Freshness, Shared};

/// How long an inventory answers reads: a whole refresh walk, not longer.
const TTL: Duration = Duration::from_secs(10);
const GATHER: Duration = Duration::from_millis(10);
/// How long an `add site` may take (it refreshes every workspace of the region).
const ADD_SITE: Duration = Duration::from_secs(15 * 60);

/// The `ksysmgr` client, or the error that says orchestrator access is not configured.
pub fn ksys(clients: &Clients) -> Result<&KsysClient, CloudError> {
    clients
        .ksys
        .as_ref()
        .ok_or(CloudError::Orchestrator(KsysError::NotConfigured))
}

/// The diagnostic shown when something needs the orchestrator and the provider cannot reach it.
pub fn not_configured(what: &str) -> Diagnostics {
    Diagnostics::from_error(
        "Orchestrator access not configured",
        format!(
            "{what} runs ksysmgr on the DR orchestrator over SSH, and the provider has no orchestrator \
             access configured. Add to the provider block:\n\n  orchestrator_ssh {{\n    password  = \
             var.orchestrator_password   # or private_key = file(\"~/.ssh/id_ed25519\")\n    host_keys = \
             [\"ssh-ed25519 AAAA...\"]     # or known_hosts_file\n    jump_host {{ address = \"<jump \
             server>:22\" ... }}   # when the orchestrator's private network is not reachable directly\n  \
             }}\n\n(or set DR_ORCHESTRATOR_SSH_* environment variables). Nothing was changed."
        ),
    )
}

/// At plan time: the client when the orchestrator can be reached. Otherwise the diagnostic,
/// the first time in this process, and `Ok(None)` after it: the plan fails either way and
/// nothing is written, but the user reads the explanation once, not once per VM. Callers skip
/// their orchestrator checks on `None`.
pub fn ksys_for_plan<'a>(
    clients: &'a Clients,
    what: &str,
) -> Result<Option<&'a KsysClient>, Diagnostics> {
    static SHOWN: AtomicBool = AtomicBool::new(false);
    match clients.ksys.as_ref() {
        Some(ksys) => Ok(Some(ksys)),
        None if SHOWN.swap(true, Ordering::SeqCst) => Ok(None),
        None => Err(not_configured(what)),
    }
}

/// What KSYS manages on one orchestrator.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub vms: Vec<KsysVm>,
    pub workgroups: Vec<Workgroup>,
}

impl Inventory {
    /// A managed workload VM by its PowerVS instance id.
    pub fn source_vm(&self, uuid: &str) -> Option<&KsysVm> {
        self.vms
            .iter()
            .find(|vm| vm.is_source() && vm.uuid.as_deref() == Some(uuid))
    }

    pub fn source_vms(&self) -> impl Iterator<Item = &KsysVm> {
        self.vms.iter().filter(|vm| vm.is_source())
    }

    pub fn workgroup_of(&self, vm_name: &str) -> Option<&Workgroup> {
        self.workgroups
            .iter()
            .find(|wg| wg.vms.iter().any(|v| v == vm_name))
    }

    pub fn workgroup(&self, name: &str) -> Option<&Workgroup> {
        self.workgroups.iter().find(|wg| wg.name == name)
    }

    /// The VM KSYS created as `vm`'s partner at the backup site.
    pub fn backup_of(&self, vm: &KsysVm) -> Option<&KsysVm> {
        let partner = vm.partner.as_deref()?;
        self.vms.iter().find(|v| v.name == partner)
    }
}

struct Caches {
    locations: Coalescer<Orchestrator>,
    inventories: Coalescer<Inventory>,
}

fn caches() -> &'static Caches {
    static CACHES: OnceLock<Caches> = OnceLock::new();
    CACHES.get_or_init(|| Caches {
        locations: Coalescer::new(Duration::from_secs(300), GATHER),
        inventories: Coalescer::new(TTL, GATHER),
    })
}

/// Where the orchestrator of DR instance `instance_id` answers: the primary's IP, then the
/// standby's when the deployment has one. `NotFound` when the instance does not exist.
pub async fn locate(clients: &Clients, instance_id: &str) -> Shared<Orchestrator> {
    caches()
        .locations
        .get(instance_id, Freshness::Recent, || async {
            let status = clients
                .dr_automation
                .get_last_operation(instance_id)
                .await?;
            let hosts: Vec<String> = [status.primary_ip_address, status.standby_ip_address]
                .into_iter()
                .flatten()
                .map(|ip| ip.trim().to_string())
                .filter(|ip| !ip.is_empty())
                .collect();
            if hosts.is_empty() {
                return Err(CloudError::Orchestrator(KsysError::NoAddress {
                    instance_id: instance_id.to_string(),
                }));
            }
            Ok(Orchestrator {
                instance_id: instance_id.to_string(),
                hosts,
            })
        })
        .await
}

/// Forgets where an orchestrator answers (its standby was added or removed).
pub fn forget_location(instance_id: &str) {
    caches().locations.invalidate(instance_id);
}

/// What the orchestrator manages, shared by every caller in the window.
pub async fn inventory(
    clients: &Clients,
    instance_id: &str,
    freshness: Freshness,
) -> Shared<Inventory> {
    caches()
        .inventories
        .get(instance_id, freshness, || async {
            let ksys = ksys(clients)?;
            let orchestrator = locate(clients, instance_id)
                .await
                .map_err(|e| shared_to_owned(&e))?;
            // One connection carries both as channels.
            let (vms, workgroups) = tokio::try_join!(
                ksys.managed_vms(&orchestrator),
                ksys.workgroups(&orchestrator)
            )?;
            Ok(Inventory { vms, workgroups })
        })
        .await
}

/// Forgets the inventory of an orchestrator (after a write to it).
pub fn invalidate(instance_id: &str) {
    caches().inventories.invalidate(instance_id);
}

/// A shared error as an owned one, for callers that return their own `CloudError`.
pub fn shared_to_owned(e: &CloudError) -> CloudError {
    match e {
        CloudError::Orchestrator(k) => CloudError::Orchestrator(k.clone()),
        CloudError::NotFound(a) => CloudError::NotFound(a.clone()),
        CloudError::Conflict(a) => CloudError::Conflict(a.clone()),
        CloudError::Unauthorized(a) => CloudError::Unauthorized(a.clone()),
        CloudError::Api(a) => CloudError::Api(a.clone()),
        CloudError::RateLimited { error, attempts } => CloudError::RateLimited {
            error: error.clone(),
            attempts: *attempts,
        },
        other => CloudError::Transport {
            service: "dra",
            operation: "shared read".into(),
            message: other.to_string(),
        },
    }
}

/// The IBM Cloud region of a PowerVS zone: KSYS builds its sites from regions.
pub fn region_of_zone(zone: &str) -> Option<&'static str> {
    const REGIONS: &[(&str, &[&str])] = &[
        (
            "us-south",
            &["dal10", "dal12", "dal13", "dal14", "us-south"],
        ),
        ("us-east", &["wdc04", "wdc06", "wdc07", "us-east"]),
        ("ca-tor", &["tor01"]),
        ("ca-mon", &["mon01"]),
        ("br-sao", &["sao01", "sao04"]),
        ("eu-de", &["fra04", "fra05", "eu-de-1", "eu-de-2"]),
        ("eu-es", &["mad02", "mad04"]),
        ("eu-gb", &["lon04", "lon06"]),
        ("jp-tok", &["tok04"]),
        ("jp-osa", &["osa21"]),
        ("au-syd", &["syd04", "syd05"]),
        ("in-che", &["che01"]),
    ];
    let zone = zone.trim().to_ascii_lowercase();
    REGIONS
        .iter()
        .find(|(_, zones)| zones.contains(&zone.as_str()))
        .map(|(region, _)| *region)
}

/// A PowerVS workspace as KSYS needs it: its name (KSYS shows names) and zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceRef {
    pub name: String,
    pub zone: String,
}

fn site_with_region<'a>(sites: &'a [Site], region: &str) -> Option<&'a Site> {
    sites
        .iter()
        .find(|s| s.region.as_deref() == Some(region) || s.name == region)
}

/// Makes sure KSYS has a site for the VM's home workspace and one for its backup: a site is
/// added for a region that has none, named after the region (`add site us-south
/// region=us-south`). Without an explicit backup workspace, the backup site is the partner GRS
/// region that KSYS names when the home site is added. Returns the sites afterwards.
pub async fn ensure_sites(
    ksys: &KsysClient,
    orchestrator: &Orchestrator,
    home: &WorkspaceRef,
    backup: Option<&WorkspaceRef>,
) -> Result<Vec<Site>, CloudError> {
    // One check at a time: creates running in parallel would otherwise add a site twice.
    static GATE: OnceLock<tokio::sync::Mutex<()>> = OnceLock::new();
    let _one_at_a_time = GATE.get_or_init(Default::default).lock().await;
    let unknown_zone = |ws: &WorkspaceRef| {
        CloudError::Orchestrator(KsysError::Unexpected {
            command: "add site".into(),
            message: format!(
                "workspace {} is in zone {:?}, whose IBM Cloud region the provider does not know; add its \
                 KSYS site by hand (ksysmgr add site <name> region=<region>)",
                ws.name, ws.zone
            ),
        })
    };
    let mut sites = ksys.sites(orchestrator).await?;
    let in_a_site =
        |sites: &[Site], ws: &WorkspaceRef| sites.iter().any(|s| s.workspaces.contains(&ws.name));
    let mut partners = Vec::new();
    if !in_a_site(&sites, home) {
        let region = region_of_zone(&home.zone).ok_or_else(|| unknown_zone(home))?;
        if site_with_region(&sites, region).is_none() {
            tracing::info!(
                site = region,
                "Adding the KSYS site of the VM's home region"
            );
            partners = ksys
                .add_site(orchestrator, region, region, ADD_SITE)
                .await?;
            sites = ksys.sites(orchestrator).await?;
        }
    }
    let backup_region = match backup {
        Some(ws) if in_a_site(&sites, ws) => None,
        Some(ws) => Some(region_of_zone(&ws.zone).ok_or_else(|| unknown_zone(ws))?),
        None if sites.len() < 2 => partners.first().map(String::as_str),
        None => None,
    };
    if let Some(region) = backup_region
        && site_with_region(&sites, region).is_none()
    {
        tracing::info!(site = region, "Adding the KSYS site of the backup region");
        ksys.add_site(orchestrator, region, region, ADD_SITE)
            .await?;
        sites = ksys.sites(orchestrator).await?;
    }
    Ok(sites)
}

/// Planned workgroup priorities of this process: priority belongs to a KSYS workgroup, so two
/// VMs planned into one workgroup with different priorities are refused at plan.
pub fn claim_workgroup_priority(
    orchestrator: &str,
    workgroup: &str,
    vm: &str,
    priority: &str,
) -> Result<(), (String, String)> {
    /// (orchestrator, workgroup) -> (VM, priority) of the last claim.
    type Claims = BTreeMap<(String, String), (String, String)>;
    static CLAIMS: OnceLock<std::sync::Mutex<Claims>> = OnceLock::new();
    let mut claims = CLAIMS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let key = (orchestrator.to_string(), workgroup.to_string());
    match claims.get(&key) {
        Some((other_vm, other_priority)) if other_vm != vm && other_priority != priority => {
            Err((other_vm.clone(), other_priority.clone()))
        }
        _ => {
            claims.insert(key, (vm.to_string(), priority.to_string()));
            Ok(())
        }
    }
}

/// The first `ERROR:` text of a KSYS failure, for messages that quote KSYS.
pub fn ksys_words(e: &KsysError) -> String {
    match e {
        KsysError::Failed { message, .. } | KsysError::NotFound { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// The VMs of `inventory` KSYS lists under each workgroup, by name.
pub fn vms_by_workgroup(inventory: &Inventory) -> BTreeMap<&str, &Workgroup> {
    parse::workgroup_of_vm(&inventory.workgroups)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use crate::cloud::ksys::fake::fake_client;

    fn orchestrator() -> Orchestrator {
        crate::cloud::ksys::fake::orchestrator(&["10.51.0.5"])
    }

    const NONE: &str = "Note: Active indicates the site where a WorkGroup's VMs are running.\n";

    #[tokio::test]
    async fn missing_sites_are_added_from_the_home_region_and_its_grs_partner() {
        let (shell, ksys) = fake_client();
        shell.ok("/opt/IBM/ksys/ksysmgr -f query site", NONE);
        shell.ok(
            "/opt/IBM/ksys/ksysmgr -f add site us-south region=us-south",
            "Site us-south added successfully\nNote: us-south partner GRS Region(s) us-east\n",
        );
        shell.ok(
            "/opt/IBM/ksys/ksysmgr -f query site",
            "Name:                us-south\nRegion:              us-south\nWorkspaces:          ws-dal10\n\n",
        );
        shell.ok(
            "/opt/IBM/ksys/ksysmgr -f add site us-east region=us-east",
            "Site us-east added successfully\n",
        );
        shell.ok(
            "/opt/IBM/ksys/ksysmgr -f query site",
            "Name:                us-south\nRegion:              us-south\nWorkspaces:          ws-dal10\n\nName:                us-east\nRegion:              us-east\nWorkspaces:          ws-wdc07\n\n",
        );
        let home = WorkspaceRef {
            name: "ws-dal10".into(),
            zone: "dal10".into(),
        };
        let sites = ensure_sites(&ksys, &orchestrator(), &home, None)
            .await
            .unwrap();
        assert_eq!(sites.len(), 2);
        // Nothing more when both are there.
        shell.ok(
            "/opt/IBM/ksys/ksysmgr -f query site",
            "Name:                us-south\nRegion:              us-south\nWorkspaces:          ws-dal10\n\nName:                us-east\nRegion:              us-east\nWorkspaces:          ws-wdc07\n\n",
        );
        ensure_sites(&ksys, &orchestrator(), &home, None)
            .await
            .unwrap();
        assert_eq!(shell.ran().len(), 6);
    }

    #[test]
    fn zones_map_to_their_regions() {
        assert_eq!(region_of_zone("dal10"), Some("us-south"));
        assert_eq!(region_of_zone("WDC07"), Some("us-east"));
        assert_eq!(region_of_zone("mars01"), None);
    }

    #[test]
    fn a_workgroup_has_one_priority() {
        assert!(claim_workgroup_priority("o-t1", "wg", "vm-a", "high").is_ok());
        assert!(
            claim_workgroup_priority("o-t1", "wg", "vm-a", "low").is_ok(),
            "its own change"
        );
        assert!(claim_workgroup_priority("o-t1", "wg", "vm-b", "low").is_ok());
        assert_eq!(
            claim_workgroup_priority("o-t1", "wg", "vm-c", "high"),
            Err(("vm-b".to_string(), "low".to_string()))
        );
        assert!(claim_workgroup_priority("o-t2", "wg", "vm-c", "high").is_ok());
    }
}
