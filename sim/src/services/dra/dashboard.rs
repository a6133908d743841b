//! The orchestrator dashboard (`GET /dra/dashboard/{instance_id}`), where `manage_dr`'s
//! `dashboard_url` points when the emulator is reached directly.
//!
//! IBM's orchestrator UI is a separate web application behind its own login; the emulator
//! stands in for it with one self-contained page (inline CSS, no scripts, no external
//! assets, refreshing itself every 10 s) so that a browser, a screenshot tool or a test can
//! see the DR state at a glance: the KSYS cluster's nodes, the sites with their workspaces
//! and subnets, the Transit Gateway and what it connects, the managed VMs with their
//! workgroup, priority and the site they run at, the operations in progress, the schedules
//! in root's crontab and the last DR tests and moves. It reads the KSYS service's state
//! directly. Like the real dashboard URL it needs no bearer token.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{
    DEPLOYMENTS, NETWORKS, OWNER, POWER, PVM_INSTANCES, SERVICE, dr_instance, elapsed_text,
    guid_of, workspace, workspace_zone,
};
use crate::services::ksys::{self, ManagedVm, Workgroup, ops::Operation};
use crate::sim::Sim;
use crate::store::World;
use crate::util;

/// Last DR tests and other operations shown.
const HISTORY: usize = 5;

const STYLE: &str = r#"
body{margin:0;font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;background:#f2f4f8;color:#161616;font-size:14px}
header{background:#161616;color:#fff;padding:14px 24px;display:flex;align-items:center;gap:16px}
header h1{font-size:20px;margin:0;font-weight:600}
header .sub{color:#c6c6c6;font-size:12px}
main{padding:16px 24px}
section{background:#fff;border:1px solid #e0e0e0;border-radius:4px;padding:12px 16px;margin-bottom:14px}
h2{font-size:15px;margin:0 0 10px 0;font-weight:600}
.badge{display:inline-block;padding:2px 8px;border-radius:10px;font-size:12px;font-weight:600}
.ok{background:#defbe6;color:#0e6027}.warn{background:#fcf4d6;color:#8e6a00}
.bad{background:#fff1f1;color:#a2191f}.info{background:#edf5ff;color:#0043ce}.muted{background:#f4f4f4;color:#525252}
.high{background:#ffd7d9;color:#a2191f}.medium{background:#fcf4d6;color:#8e6a00}.low{background:#e0e0e0;color:#393939}
.topo{display:flex;align-items:stretch;gap:0}
.site{flex:1;border:2px solid #c6c6c6;border-radius:6px;padding:10px 12px;background:#fafafa}
.site.active{border-color:#24a148;background:#f6fff8}
.site h3{margin:0 0 6px 0;font-size:14px}
.link{width:170px;display:flex;flex-direction:column;justify-content:center;align-items:center;text-align:center;font-size:12px}
.link .line{width:100%;border-top:3px solid #0f62fe;margin:6px 0}
.tg{border:2px solid #0f62fe;border-radius:6px;padding:6px 8px;background:#edf5ff;width:150px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e0e0e0;font-size:13px;vertical-align:top}
th{background:#f4f4f4;font-weight:600}
.small{font-size:12px;color:#525252}
.mono{font-family:"DejaVu Sans Mono",monospace;font-size:12px}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:14px}
.grid2 section{margin-bottom:0}
"#;

/// Text made safe for HTML content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_default()
}

fn badge(class: &str, text: &str) -> String {
    format!("<span class=\"badge {class}\">{}</span>", esc(text))
}

fn status_class(status: &str) -> &'static str {
    match status.to_ascii_lowercase().as_str() {
        "active" | "succeeded" | "recovered" | "verified" | "done" | "attached" | "ok" => "ok",
        "failed" | "error" | "critical" | "cancelled" => "bad",
        "running" | "build" | "booting" | "recovering" | "cleaning" | "pending" | "shutoff" => {
            "warn"
        }
        _ => "muted",
    }
}

/// One side of the topology: a workspace with its subnets and its orchestrator VM.
fn site_card(
    world: &World,
    title: &str,
    workspace_id: Option<&str>,
    orchestrator_vm: Option<&str>,
    active: bool,
) -> String {
    let ws = workspace_id.and_then(|w| workspace(world, w));
    let mut html = format!(
        "<div class=\"site{}\"><h3>{} {}</h3>",
        if active { " active" } else { "" },
        esc(title),
        if active {
            badge("ok", "ACTIVE")
        } else {
            badge("muted", "inactive")
        }
    );
    let Some(ws) = ws else {
        html.push_str("<p class=\"small\">No workspace configured.</p></div>");
        return html;
    };
    let guid = s(ws, "id");
    let _ = write!(
        html,
        "<div><b>{}</b></div><div class=\"small\">PowerVS workspace &middot; zone {} &middot; {}</div>",
        esc(s(ws, "name")),
        esc(&workspace_zone(ws)),
        esc(s(ws, "status"))
    );
    let crn = ws["details"]["crn"].as_str().unwrap_or_default();
    let on_gateway = world
        .list("tg", "connections")
        .any(|c| c["network_id"].as_str() == Some(crn) && c["status"].as_str() == Some("attached"));
    let _ = write!(
        html,
        "<div class=\"small\">Transit Gateway: {}</div>",
        if on_gateway {
            badge("ok", "connected")
        } else {
            badge("warn", "not connected")
        }
    );
    if let Some(vm) = orchestrator_vm.and_then(|id| world.get(POWER, PVM_INSTANCES, id)) {
        let _ = write!(
            html,
            "<div class=\"small\">Orchestrator VM: {} ({}) {}</div>",
            esc(s(vm, "serverName")),
            esc(vm["networks"][0]["ipAddress"].as_str().unwrap_or("-")),
            badge(status_class(s(vm, "status")), s(vm, "status"))
        );
    }
    html.push_str("<table><tr><th>Subnet</th><th>CIDR</th><th>Type</th></tr>");
    for n in world
        .list(POWER, NETWORKS)
        .filter(|n| n[OWNER].as_str() == Some(guid))
    {
        let kind = if s(n, "type") == "vlan" {
            "private".to_owned()
        } else {
            s(n, "type").to_owned()
        };
        let _ = write!(
            html,
            "<tr><td>{}</td><td class=\"mono\">{}</td><td>{}</td></tr>",
            esc(s(n, "name")),
            esc(s(n, "cidr")),
            esc(&kind)
        );
    }
    html.push_str("</table></div>");
    html
}

/// The Transit Gateway(s) attached to either workspace, with everything they connect.
fn gateway_card(world: &World, crns: &[String]) -> String {
    let mut gateway_ids: Vec<String> = world
        .list("tg", "connections")
        .filter(|c| crns.iter().any(|crn| c["network_id"].as_str() == Some(crn)))
        .filter_map(|c| c["_gateway_id"].as_str().map(str::to_owned))
        .collect();
    gateway_ids.dedup();
    if gateway_ids.is_empty() {
        return "<div class=\"link\"><div class=\"line\"></div><div class=\"tg\">No Transit Gateway connects these workspaces</div><div class=\"line\"></div></div>".into();
    }
    let mut html = String::from("<div class=\"link\"><div class=\"line\"></div>");
    for gid in &gateway_ids {
        let Some(gw) = world.get("tg", "gateways", gid) else {
            continue;
        };
        let _ = write!(
            html,
            "<div class=\"tg\"><b>Transit Gateway</b><br>{}<br><span class=\"small\">{} &middot; {}</span>",
            esc(s(gw, "name")),
            esc(s(gw, "location")),
            esc(s(gw, "status"))
        );
        for c in world
            .list("tg", "connections")
            .filter(|c| c["_gateway_id"].as_str() == Some(gid.as_str()))
        {
            let _ = write!(
                html,
                "<div class=\"small\">&#8596; {} ({}) {}</div>",
                esc(s(c, "name")),
                esc(s(c, "network_type")),
                badge(status_class(s(c, "status")), s(c, "status"))
            );
            if s(c, "network_type") == "vpc"
                && let Some(vpc) = world.find("vpc", "vpcs", |v| v["crn"] == c["network_id"])
            {
                for subnet in world
                    .list("vpc", "subnets")
                    .filter(|sn| sn["vpc"]["id"] == vpc["id"])
                {
                    let _ = write!(
                        html,
                        "<div class=\"small mono\">{} {}</div>",
                        esc(s(subnet, "name")),
                        esc(s(subnet, "ipv4_cidr_block"))
                    );
                }
            }
        }
        html.push_str("</div>");
    }
    html.push_str("<div class=\"line\"></div></div>");
    html
}

fn priority_class(priority: &str) -> String {
    priority.to_ascii_lowercase()
}

fn managed_vms_table(world: &World, guid: &str) -> String {
    let mut vms: Vec<(ManagedVm, Option<Workgroup>)> = ksys::managed_vms(world, guid)
        .into_iter()
        .map(|v| {
            let wg = ksys::workgroup_of(world, &v);
            (v, wg)
        })
        .collect();
    vms.sort_by_key(|(v, wg)| {
        let rank = match wg.as_ref().map(|w| w.priority.as_str()) {
            Some("High") => 0,
            Some("Medium") => 1,
            _ => 2,
        };
        (rank, v.name.clone())
    });
    let mut rows = String::new();
    for (vm, wg) in &vms {
        let running_id = if vm.active_on_backup {
            vm.backup_vm_id.clone().unwrap_or_default()
        } else {
            vm.uuid.clone()
        };
        let running = world.get(POWER, PVM_INSTANCES, &running_id);
        let source = world.get(POWER, PVM_INSTANCES, &vm.uuid);
        let status = running.map(|v| s(v, "status")).unwrap_or("missing");
        let priority = wg.as_ref().map(|w| w.priority.as_str()).unwrap_or("Medium");
        let site = wg.as_ref().map(|w| w.active_site.as_str()).unwrap_or("-");
        let _ = write!(
            rows,
            "<tr><td><b>{}</b><div class=\"small mono\">{}</div></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td>{}</td></tr>",
            esc(&vm.name),
            esc(&vm.uuid),
            esc(source.map(|v| s(v, "osType")).unwrap_or("-")),
            badge(&priority_class(priority), priority),
            esc(wg.as_ref().map(|w| w.name.as_str()).unwrap_or("-")),
            badge(status_class(&vm.state), &vm.state),
            if vm.active_on_backup {
                badge("info", site)
            } else {
                badge("muted", site)
            },
            badge(status_class(status), status),
            esc(running
                .and_then(|v| v["networks"][0]["ipAddress"].as_str())
                .unwrap_or("-")),
            esc(&vm.dr_test_state)
        );
    }
    if vms.is_empty() {
        rows.push_str(
            "<tr><td colspan=\"9\" class=\"small\">No VM is managed by DR yet.</td></tr>",
        );
    }
    format!(
        "<section><h2>Managed VMs ({})</h2><table><tr><th>VM</th><th>OS</th><th>Priority</th><th>Workgroup</th><th>KSYS state</th><th>Runs at site</th><th>PowerVS status</th><th>IP</th><th>DR test</th></tr>{rows}</table></section>",
        vms.len()
    )
}

/// Real-cloud duration of an operation (the figure an operator compares with the RTO).
fn op_duration(op: &Operation, time_scale: f64, now_ms: u64) -> String {
    let end = if op.status == "running" {
        now_ms
    } else {
        op.finish_ms
    };
    let ms = end.saturating_sub(op.started_ms) as f64 * time_scale;
    elapsed_text(ms.round() as u64)
}

fn running_section(ops: &[Operation], time_scale: f64, now_ms: u64) -> String {
    let running: Vec<&Operation> = ops.iter().filter(|o| o.status == "running").collect();
    if running.is_empty() {
        return String::new();
    }
    let mut rows = String::new();
    for op in running {
        let last = op
            .lines
            .iter()
            .rev()
            .find(|l| l.at <= now_ms)
            .map(|l| l.text.trim().to_owned())
            .unwrap_or_default();
        let _ = write!(
            rows,
            "<tr><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td class=\"small mono\">{}</td></tr>",
            esc(&op.kind),
            esc(&op.command),
            esc(&op.workgroups.join(", ")),
            op_duration(op, time_scale, now_ms),
            esc(&last)
        );
    }
    format!(
        "<section><h2>In progress {}</h2><table><tr><th>Operation</th><th>Command</th><th>Workgroups</th><th>Running for</th><th>Last output</th></tr>{rows}</table></section>",
        badge("warn", "running")
    )
}

fn history_section(
    title: &str,
    empty: &str,
    ops: &[Operation],
    kind: &str,
    time_scale: f64,
    now_ms: u64,
) -> String {
    let mut rows = String::new();
    let done: Vec<&Operation> = ops
        .iter()
        .rev()
        .filter(|o| o.kind == kind && o.status != "running")
        .take(HISTORY)
        .collect();
    for op in &done {
        let _ = write!(
            rows,
            "<tr><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"small mono\">{}</td></tr>",
            esc(&op.started_at),
            badge(status_class(&op.status), &op.status),
            op_duration(op, time_scale, now_ms),
            esc(&op.workgroups.join(", ")),
            esc(&op.command)
        );
    }
    if done.is_empty() {
        let _ = write!(
            rows,
            "<tr><td colspan=\"5\" class=\"small\">{}</td></tr>",
            esc(empty)
        );
    }
    format!(
        "<section><h2>{}</h2><table><tr><th>Started</th><th>Result</th><th>Duration</th><th>Workgroups</th><th>Command</th></tr>{rows}</table></section>",
        esc(title)
    )
}

fn schedules_section(world: &World, guid: &str) -> String {
    let mut rows = String::new();
    let schedules: Vec<Value> = world
        .get(ksys::SERVICE, ksys::CRONTABS, guid)
        .and_then(|c| c["schedules"].as_array().cloned())
        .unwrap_or_default();
    for sc in &schedules {
        let last = s(sc, "last_result");
        let _ = write!(
            rows,
            "<tr><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td>{} {}</td></tr>",
            esc(s(sc, "id")),
            esc(s(sc, "cron")),
            esc(s(sc, "time_zone")),
            if sc["enabled"] == true {
                badge("ok", "enabled")
            } else {
                badge("muted", "disabled")
            },
            badge(status_class(last), last),
            esc(s(sc, "finished_at"))
        );
    }
    if schedules.is_empty() {
        rows.push_str("<tr><td colspan=\"5\" class=\"small\">No scheduled DR test.</td></tr>");
    }
    format!(
        "<section><h2>DR test schedules (root's crontab)</h2><table><tr><th>Id</th><th>Cron</th><th>Time zone</th><th>State</th><th>Last result</th></tr>{rows}</table></section>"
    )
}

fn nodes_section(world: &World, guid: &str) -> String {
    let Some(cluster) = world.get(ksys::SERVICE, ksys::CLUSTERS, guid) else {
        return "<section><h2>KSYS cluster</h2><p class=\"small\">The orchestrator is still being deployed.</p></section>".into();
    };
    let mut rows = String::new();
    for n in cluster["nodes"].as_array().into_iter().flatten() {
        let vm = world.get(POWER, PVM_INSTANCES, s(n, "vm_id"));
        let status = vm.map(|v| s(v, "status")).unwrap_or("missing");
        let _ = write!(
            rows,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td></tr>",
            esc(s(n, "hostname")),
            esc(s(n, "role")),
            badge(status_class(status), status),
            esc(vm
                .and_then(|v| v["networks"][0]["ipAddress"].as_str())
                .unwrap_or("-"))
        );
    }
    format!(
        "<section><h2>KSYS cluster {} {}</h2><table><tr><th>Node</th><th>Role</th><th>Status</th><th>SSH address</th></tr>{rows}</table></section>",
        esc(s(cluster, "name")),
        badge("ok", s(cluster, "state"))
    )
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"10\"><title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        esc(title)
    )
}

/// The dashboard HTML of one DR instance.
pub(crate) fn render(world: &World, instance: &Value, time_scale: f64, now_ms: u64) -> String {
    let guid = guid_of(instance);
    let name = s(instance, "name");
    let d = world.get(SERVICE, DEPLOYMENTS, &guid);
    let workgroups = ksys::workgroups(world, &guid);
    let moved = workgroups.iter().any(|w| w.active_site != w.home_site);
    let status = d
        .map(|d| s(&d["progress"], "status"))
        .unwrap_or("Not deployed");
    let mut body = format!(
        "<header><div><h1>DR orchestrator &middot; {}</h1><div class=\"sub\">Service instance {} &middot; updated {}</div></div><div style=\"margin-left:auto\">Orchestrator {} &nbsp; Active site {}</div></header><main>",
        esc(name),
        esc(&guid),
        esc(&util::rfc3339(now_ms)),
        badge(status_class(status), status),
        if moved {
            badge("info", "DR")
        } else {
            badge("ok", "PRIMARY")
        }
    );
    let Some(d) = d else {
        body.push_str("<section><h2>DR is not deployed</h2><p>Deploy the orchestrator (manage_dr) to see the DR topology.</p></section></main>");
        return page(&format!("DR orchestrator - {name}"), &body);
    };
    let primary_ws = d["orchestrator_workspace_id"].as_str().map(str::to_owned);
    // The DR side: where the workgroups are backed up, else the standby's workspace.
    let dr_ws = workgroups
        .first()
        .map(|w| w.backup_workspace.clone())
        .or_else(|| {
            d["standby_orchestrator_workspace_id"]
                .as_str()
                .map(str::to_owned)
        });
    let crns: Vec<String> = [&primary_ws, &dr_ws]
        .iter()
        .filter_map(|w| w.as_deref())
        .filter_map(|w| workspace(world, w))
        .filter_map(|w| w["details"]["crn"].as_str().map(str::to_owned))
        .collect();
    let standby_vm = d["_standby_vm_id"].as_str();
    let dr_orchestrator = if dr_ws.as_deref() == d["standby_orchestrator_workspace_id"].as_str() {
        standby_vm
    } else {
        None
    };
    let _ = write!(
        body,
        "<section><h2>DR topology</h2><div class=\"topo\">{}{}{}</div></section>",
        site_card(
            world,
            "Primary site",
            primary_ws.as_deref(),
            d["_primary_vm_id"].as_str(),
            !moved
        ),
        gateway_card(world, &crns),
        site_card(world, "DR site", dr_ws.as_deref(), dr_orchestrator, moved)
    );
    if let Some(standby) = standby_vm.filter(|_| dr_orchestrator.is_none()) {
        let _ = write!(
            body,
            "<section><h2>Standby orchestrator</h2>{}</section>",
            site_card(
                world,
                "Standby",
                d["standby_orchestrator_workspace_id"].as_str(),
                Some(standby),
                false
            )
        );
    }
    body.push_str(&nodes_section(world, &guid));
    let ops = ksys::ops::of_cluster(world, &guid);
    body.push_str(&running_section(&ops, time_scale, now_ms));
    body.push_str(&managed_vms_table(world, &guid));
    body.push_str(&history_section(
        "Last DR tests",
        "No DR test has run yet.",
        &ops,
        "dr_test",
        time_scale,
        now_ms,
    ));
    let _ = write!(
        body,
        "<div class=\"grid2\">{}{}</div>",
        schedules_section(world, &guid),
        history_section(
            "Failovers and failbacks",
            "No failover or failback yet.",
            &ops,
            "move",
            time_scale,
            now_ms
        )
    );
    body.push_str("</main>");
    page(&format!("DR orchestrator - {name}"), &body)
}

fn html_response(status: StatusCode, html: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

/// `GET /dra/dashboard/{instance_id}` (GUID or CRN).
pub async fn handler(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> Response {
    let world = sim.world().await;
    match dr_instance(&world, &id) {
        Ok(instance) => html_response(
            StatusCode::OK,
            render(&world, &instance, sim.config().time_scale, sim.now_ms()),
        ),
        Err(_) => html_response(
            StatusCode::NOT_FOUND,
            page(
                "DR orchestrator",
                &format!(
                    "<main><section><h2>Not found</h2><p>No DR Automation service instance {}.</p></section></main>",
                    esc(&id)
                ),
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<b>\"x\" & 'y'</b>"),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"
        );
    }
}
