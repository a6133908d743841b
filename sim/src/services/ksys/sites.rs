//! Sites and workspaces: `add site`, `delete site`, `query site`, `pair workspace`,
//! `query workspace`, with the output layout of IBM's KSYS documentation.
//!
//! KSYS builds a site from an IBM Cloud region: the site holds every PowerVS workspace of
//! the account whose zone is in that region. Workspaces are read live, so a workspace
//! created later joins its region's site. Each workspace of a site may have a
//! `Default_Partner`, the workspace its VMs are backed up to when `manage vm` names no
//! target. ASSUMPTION (IBM documents no rule): when a site is added, every workspace of it
//! and of its GRS partner region's site that has no partner yet gets one in the other site:
//! the workspace in its zone's GRS partner location if there is one, else the first by name.

use super::format::{self, Block};
use super::host::{Ctx, Env, Output};
use super::ksysmgr::{Invocation, valid_name};
use super::ops::Plan;
use super::regions;
use super::{
    KsysWorkspace, SERVICE, SITES, Site, VMS, WORKGROUPS, WORKSPACES, Workgroup, load, of_cluster,
    site_id, store, workspace_key,
};
use crate::store::World;

/// The last line of `query site`.
pub const SITE_NOTE: &str = "Note: Active indicates the site where a WorkGroup's VMs are running. The same WorkGroup cannot be active on both sites, but others can be.";

/// A PowerVS workspace of the account: (GUID, name, zone).
#[derive(Debug, Clone, PartialEq)]
pub struct PowerWorkspace {
    pub guid: String,
    pub name: String,
    pub zone: String,
}

/// Every PowerVS workspace of the account in a region, by name.
pub fn region_workspaces(world: &World, region: &str) -> Vec<PowerWorkspace> {
    let mut out: Vec<PowerWorkspace> = world
        .list("power", "workspaces")
        .filter(|w| w["status"].as_str() == Some("active"))
        .map(|w| PowerWorkspace {
            guid: w["id"].as_str().unwrap_or_default().to_owned(),
            name: w["name"].as_str().unwrap_or_default().to_owned(),
            zone: w["_zone"]
                .as_str()
                .or(w["location"]["region"].as_str())
                .unwrap_or_default()
                .to_owned(),
        })
        .filter(|w| regions::region_of_zone(&w.zone) == region)
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

pub fn sites(world: &World, cluster_id: &str) -> Vec<Site> {
    of_cluster(world, SITES, cluster_id)
}

/// For a command on a site's workgroups (`discover site`, `cleanup site`): the site's name and
/// the cluster's workgroups `keep` picks, or the error without a name or for an unknown site.
pub fn site_workgroups<'i>(
    world: &World,
    ctx: &Ctx,
    inv: &'i Invocation,
    env: Env,
    keep: impl Fn(&Workgroup, &str) -> bool,
) -> Result<(&'i str, Vec<Workgroup>), Output> {
    let Some(name) = inv.name() else {
        return Err(Output::error(env, 3, "Site name is required."));
    };
    if site(world, &ctx.cluster_id, name).is_none() {
        return Err(Output::error(env, 2, format!("Site {name} not found.")));
    }
    let groups = of_cluster::<Workgroup>(world, WORKGROUPS, &ctx.cluster_id)
        .into_iter()
        .filter(|w| keep(w, name))
        .collect();
    Ok((name, groups))
}

pub fn site(world: &World, cluster_id: &str, name: &str) -> Option<Site> {
    load(world, SITES, &site_id(cluster_id, name))
}

/// The site holding a workspace, if its region has one.
pub fn site_of_workspace(world: &World, cluster_id: &str, workspace_guid: &str) -> Option<Site> {
    let zone = super::workspace_zone(world, workspace_guid);
    let region = regions::region_of_zone(&zone);
    sites(world, cluster_id)
        .into_iter()
        .find(|s| s.region == region)
}

/// A workspace of a site, by name or GUID.
pub fn find_workspace(world: &World, cluster_id: &str, name_or_id: &str) -> Option<PowerWorkspace> {
    sites(world, cluster_id)
        .iter()
        .flat_map(|s| region_workspaces(world, &s.region))
        .find(|w| w.guid == name_or_id || w.name == name_or_id)
}

/// KSYS's record of a workspace (its default partner).
pub fn ksys_workspace(world: &World, cluster_id: &str, guid: &str) -> Option<KsysWorkspace> {
    load(world, WORKSPACES, &workspace_key(cluster_id, guid))
}

/// The refresh lines `manage vm` and `add site` print for a workspace.
pub fn refresh_lines(workspace: &str) -> Vec<String> {
    let mut out = Vec::new();
    for what in ["VMs", "Networks", "Host", "Host Group"] {
        out.push(format!(
            "Refresh {what} list of {workspace} workspace started"
        ));
        out.push(format!(
            "Refresh {what} list of {workspace} workspace completed"
        ));
    }
    out
}

/// Gives partner-less workspaces of `site` and of its partner region's site a default partner
/// in the other site.
fn assign_default_partners(world: &mut World, cluster_id: &str, site: &Site) {
    for partner_region in regions::partner_regions(&site.region) {
        let Some(other) = sites(world, cluster_id)
            .into_iter()
            .find(|s| s.region == partner_region)
        else {
            continue;
        };
        let mine = region_workspaces(world, &site.region);
        let theirs = region_workspaces(world, &other.region);
        for (side, candidates) in [(&mine, &theirs), (&theirs, &mine)] {
            for ws in side {
                let key = workspace_key(cluster_id, &ws.guid);
                let mut record =
                    ksys_workspace(world, cluster_id, &ws.guid).unwrap_or_else(|| KsysWorkspace {
                        id: key.clone(),
                        cluster_id: cluster_id.to_owned(),
                        workspace_id: ws.guid.clone(),
                        name: ws.name.clone(),
                        default_partner: None,
                    });
                if record.default_partner.is_some() {
                    continue;
                }
                let grs = regions::grs_partner_zone(&ws.zone);
                let pick = candidates
                    .iter()
                    .find(|c| Some(c.zone.as_str()) == grs)
                    .or_else(|| candidates.first());
                record.default_partner = pick.map(|p| p.guid.clone());
                store(world, WORKSPACES, &key, &record);
            }
        }
    }
}

/// `ksysmgr add site <name> region=<region>`.
pub fn add_site(world: &mut World, ctx: &Ctx, inv: &Invocation, env: Env) -> Output {
    let Some(name) = inv.name() else {
        return Output::error(env, 3, "Site name is required.");
    };
    if let Some(bad) = inv.unknown_attr(&["name", "region", "sitetype"]) {
        return Output::error(env, 4, format!("Unknown attribute {bad} for add site."));
    }
    if !valid_name(name) {
        return Output::error(env, 4, super::ksysmgr::invalid_name_message(name));
    }
    let Some(region) = inv.attr(&["region"]) else {
        return Output::error(env, 3, "Attribute region is required.");
    };
    if !regions::is_known_region(region) {
        return Output::error(
            env,
            4,
            format!("Region {region} is not a valid IBM Cloud region."),
        );
    }
    if site(world, &ctx.cluster_id, name).is_some() {
        return Output::error(env, 1, format!("Site {name} already exists."));
    }
    if let Some(other) = sites(world, &ctx.cluster_id)
        .into_iter()
        .find(|s| s.region == region)
    {
        return Output::error(
            env,
            1,
            format!("Region {region} already belongs to site {}.", other.name),
        );
    }
    let workspaces = region_workspaces(world, region);
    if workspaces.is_empty() {
        return Output::error(
            env,
            1,
            format!("No PowerVS workspace of this account is in region {region}."),
        );
    }
    let new = Site {
        id: site_id(&ctx.cluster_id, name),
        cluster_id: ctx.cluster_id.clone(),
        name: name.to_owned(),
        region: region.to_owned(),
    };
    store(world, SITES, &new.id, &new);
    for ws in &workspaces {
        let key = workspace_key(&ctx.cluster_id, &ws.guid);
        if world.get(SERVICE, WORKSPACES, &key).is_none() {
            let record = KsysWorkspace {
                id: key.clone(),
                cluster_id: ctx.cluster_id.clone(),
                workspace_id: ws.guid.clone(),
                name: ws.name.clone(),
                default_partner: None,
            };
            store(world, WORKSPACES, &key, &record);
        }
    }
    assign_default_partners(world, &ctx.cluster_id, &new);

    let mut plan = Plan::new(env);
    plan.plain(0.0, "Waiting for update of Workspaces ...");
    plan.plain(3.0, "Update of Workspaces are successful");
    let mut t = 3.0;
    for ws in &workspaces {
        for line in refresh_lines(&ws.name) {
            t += 0.5;
            plan.plain(t, line);
        }
    }
    plan.plain(t + 1.0, format!("Site {name} added successfully"));
    let partners = regions::partner_regions(region);
    let partners = if partners.is_empty() {
        "none".to_owned()
    } else {
        partners.join(", ")
    };
    plan.plain(
        t + 1.0,
        format!("Note: {region} partner GRS Region(s) {partners}"),
    );
    let (_, out) = super::ops::start(
        world,
        &ctx.cluster_id,
        "add_site",
        &inv.text,
        Vec::new(),
        &[],
        plan,
        0,
    );
    out
}

/// `ksysmgr delete site <name>`.
pub fn delete_site(world: &mut World, ctx: &Ctx, inv: &Invocation, env: Env) -> Output {
    let Some(name) = inv.name() else {
        return Output::error(env, 3, "Site name is required.");
    };
    let Some(found) = site(world, &ctx.cluster_id, name) else {
        return Output::error(env, 2, format!("Site {name} not found."));
    };
    let workspaces = region_workspaces(world, &found.region);
    let guids: Vec<&str> = workspaces.iter().map(|w| w.guid.as_str()).collect();
    let managed: Vec<String> = of_cluster::<super::ManagedVm>(world, VMS, &ctx.cluster_id)
        .into_iter()
        .filter(|v| {
            guids.contains(&v.home_workspace.as_str())
                || guids.contains(&v.target_workspace.as_str())
        })
        .map(|v| v.name)
        .collect();
    if !managed.is_empty() {
        let mut lines = vec![format!(
            "ERROR: Deleting Site {name} is not allowed when workspace(s) vms are in managed state, unmanage following vms before deleting the site."
        )];
        lines.extend(managed);
        return Output::stderr(env, lines, 1);
    }
    let mut out = Vec::new();
    for ws in &workspaces {
        world.remove(
            SERVICE,
            WORKSPACES,
            &workspace_key(&ctx.cluster_id, &ws.guid),
        );
        out.push(format!("Workspace {} was removed", ws.name));
    }
    // Partners that pointed into the removed site are cleared.
    for id in world.ids_where(SERVICE, WORKSPACES, |w| {
        w["cluster_id"].as_str() == Some(ctx.cluster_id.as_str())
            && w["default_partner"]
                .as_str()
                .is_some_and(|p| guids.contains(&p))
    }) {
        if let Some(w) = world.get_mut(SERVICE, WORKSPACES, &id) {
            w["default_partner"] = serde_json::Value::Null;
        }
    }
    world.remove(SERVICE, SITES, &found.id);
    out.push(format!("Site {name} was removed."));
    Output::ok(env, out)
}

/// `ksysmgr query site [name]`.
pub fn query_site(world: &World, ctx: &Ctx, inv: &Invocation, env: Env) -> Output {
    let all = sites(world, &ctx.cluster_id);
    let chosen: Vec<&Site> = match inv.name() {
        Some(name) => match all.iter().find(|s| s.name == name) {
            Some(s) => vec![s],
            None => return Output::error(env, 2, format!("Site {name} not found.")),
        },
        None => all.iter().collect(),
    };
    if chosen.is_empty() {
        return Output::ok(env, Vec::new());
    }
    let workgroups: Vec<Workgroup> = of_cluster(world, WORKGROUPS, &ctx.cluster_id);
    let blocks: Vec<Block> = chosen
        .iter()
        .map(|s| {
            let names: Vec<String> = region_workspaces(world, &s.region)
                .into_iter()
                .map(|w| w.name)
                .collect();
            let active: Vec<&str> = workgroups
                .iter()
                .filter(|w| w.active_site == s.name)
                .map(|w| w.name.as_str())
                .collect();
            Block::new()
                .field("Name", s.name.clone())
                .field("Region", s.region.clone())
                .field("Workspaces", names.join(", "))
                .field("ActiveWorkgroups", active.join(", "))
        })
        .collect();
    let mut lines = format::blocks(&blocks, inv.only.as_deref());
    lines.push(SITE_NOTE.to_owned());
    Output::ok(env, lines)
}

/// `ksysmgr pair workspace <home> pair=<target>|none`.
pub fn pair_workspace(world: &mut World, ctx: &Ctx, inv: &Invocation, env: Env) -> Output {
    let Some(home) = inv.name() else {
        return Output::error(env, 3, "Workspace name is required.");
    };
    let Some(target) = inv.attr(&["pair"]) else {
        return Output::error(env, 3, "Attribute pair is required.");
    };
    let Some(home_ws) = find_workspace(world, &ctx.cluster_id, home) else {
        return Output::error(env, 2, format!("Workspace {home} not found."));
    };
    let key = workspace_key(&ctx.cluster_id, &home_ws.guid);
    let mut record =
        ksys_workspace(world, &ctx.cluster_id, &home_ws.guid).unwrap_or(KsysWorkspace {
            id: key.clone(),
            cluster_id: ctx.cluster_id.clone(),
            workspace_id: home_ws.guid.clone(),
            name: home_ws.name.clone(),
            default_partner: None,
        });
    if target == "none" {
        record.default_partner = None;
        store(world, WORKSPACES, &key, &record);
        return Output::ok(
            env,
            vec![format!("Workspace {} was unpaired", home_ws.name)],
        );
    }
    let Some(target_ws) = find_workspace(world, &ctx.cluster_id, target) else {
        return Output::error(env, 2, format!("Workspace {target} not found."));
    };
    let home_site = site_of_workspace(world, &ctx.cluster_id, &home_ws.guid);
    let target_site = site_of_workspace(world, &ctx.cluster_id, &target_ws.guid);
    if let (Some(a), Some(b)) = (&home_site, &target_site)
        && a.name == b.name
    {
        return Output::error(
            env,
            4,
            format!(
                "Workspace {} is in site {} like {}; pair workspaces of different sites.",
                target_ws.name, b.name, home_ws.name
            ),
        );
    }
    record.default_partner = Some(target_ws.guid.clone());
    store(world, WORKSPACES, &key, &record);
    Output::ok(
        env,
        vec![format!(
            "Workspace {} was paired with {}",
            home_ws.name, target_ws.name
        )],
    )
}

/// `ksysmgr query workspace [name]`.
pub fn query_workspace(world: &World, ctx: &Ctx, inv: &Invocation, env: Env) -> Output {
    let all: Vec<PowerWorkspace> = sites(world, &ctx.cluster_id)
        .iter()
        .flat_map(|s| region_workspaces(world, &s.region))
        .collect();
    let chosen: Vec<&PowerWorkspace> = match inv.name() {
        Some(n) => match all.iter().find(|w| w.name == n || w.guid == n) {
            Some(w) => vec![w],
            None => return Output::error(env, 2, format!("Workspace {n} not found.")),
        },
        None => all.iter().collect(),
    };
    let blocks: Vec<Block> = chosen
        .iter()
        .map(|w| {
            let power = super::power_workspace(world, &w.guid);
            let partner = ksys_workspace(world, &ctx.cluster_id, &w.guid)
                .and_then(|k| k.default_partner)
                .map(|p| super::workspace_name(world, &p))
                .unwrap_or_default();
            let vms: Vec<String> = world
                .list("power", "pvm_instances")
                .filter(|v| v["_workspace"].as_str() == Some(w.guid.as_str()))
                .filter_map(|v| v["serverName"].as_str().map(str::to_owned))
                .collect();
            let networks: Vec<String> = world
                .list("power", "networks")
                .filter(|n| n["_workspace"].as_str() == Some(w.guid.as_str()))
                .filter_map(|n| n["name"].as_str().map(str::to_owned))
                .collect();
            let vm_lines: Vec<String> = vms.chunks(4).map(|c| c.join(", ")).collect();
            Block::new()
                .field("Name", w.name.clone())
                .field("ID", w.guid.clone())
                .field("Region", regions::region_of_zone(&w.zone))
                .field("Type", "off-premises")
                .field("Family", "data-center")
                .field(
                    "CRN",
                    power
                        .and_then(|p| p["details"]["crn"].as_str())
                        .unwrap_or_default(),
                )
                .field(
                    "Status",
                    power
                        .and_then(|p| p["status"].as_str())
                        .unwrap_or_default()
                        .to_uppercase(),
                )
                .field("Default_Partner", partner)
                .field("staticIPEnable", "default")
                .field("VMs", vm_lines.join(&format!(",\n{:21}", "")))
                .field("Networks", networks.join(", "))
        })
        .collect();
    let lines = format::blocks(&blocks, inv.only.as_deref())
        .into_iter()
        .flat_map(|l| l.split('\n').map(str::to_owned).collect::<Vec<_>>())
        .collect();
    Output::ok(env, lines)
}
