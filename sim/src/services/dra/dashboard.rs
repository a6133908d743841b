//! The orchestrator dashboard (`GET /dra/dashboard/{instance_id}`), where `manage_dr`'s
//! `dashboard_url` points when the emulator is reached directly.
//!
//! IBM's orchestrator UI is a separate web application behind its own login; the emulator
//! stands in for it with one self-contained page (inline CSS, no scripts, no external
//! assets, refreshing itself every 10 s) so that a browser, a screenshot tool or a test can
//! see the DR state at a glance: the topology (primary and DR workspaces with their subnets,
//! the Transit Gateway and what it connects), the active site, the managed VMs with their
//! priority and where they run, the operation in progress, the schedules and the last DR
//! tests. Like the real dashboard URL it needs no bearer token.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::operations::{self, OpKind, OpStatus, Operation, replication_lag_seconds};
use super::schedules;
use super::{
    DEPLOYMENTS, MANAGED_VMS, NETWORKS, OWNER, POWER, PVM_INSTANCES, SERVICE, dr_instance,
    elapsed_text, guid_of, workspace, workspace_zone,
};
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
        let kind = if !n["_dr_operation"].is_null() {
            "isolated (DR test)".to_owned()
        } else if s(n, "type") == "vlan" {
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

fn managed_vms_table(world: &World, guid: &str, now_ms: u64) -> String {
    let site = operations::load_site(world, guid);
    let mut rows = String::new();
    let mut regs: Vec<&Value> = world
        .list(SERVICE, MANAGED_VMS)
        .filter(|m| m["instance_id"].as_str() == Some(guid))
        .collect();
    regs.sort_by_key(|m| {
        operations::PRIORITY_ORDER
            .iter()
            .position(|p| Some(*p) == m["priority"].as_str())
            .unwrap_or(1)
    });
    for m in &regs {
        let id = s(m, "pvm_instance_id");
        let copy = site.dr_copies.get(id);
        let running = copy.map(String::as_str).unwrap_or(id);
        let vm = world.get(POWER, PVM_INSTANCES, running);
        let status = vm.map(|v| s(v, "status")).unwrap_or("missing");
        let _ = write!(
            rows,
            "<tr><td><b>{}</b><div class=\"small mono\">{}</div></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td>{} s</td></tr>",
            esc(vm.map(|v| s(v, "serverName")).unwrap_or(s(m, "_vm_name"))),
            esc(id),
            esc(vm.map(|v| s(v, "osType")).unwrap_or("-")),
            badge(s(m, "priority"), s(m, "priority")),
            esc(s(m, "workgroup_name")),
            if copy.is_some() {
                badge("info", "DR site")
            } else {
                badge("muted", "primary")
            },
            badge(status_class(status), status),
            esc(vm
                .and_then(|v| v["networks"][0]["ipAddress"].as_str())
                .unwrap_or("-")),
            replication_lag_seconds(id, now_ms)
        );
    }
    if regs.is_empty() {
        rows.push_str(
            "<tr><td colspan=\"8\" class=\"small\">No VM is managed by DR yet.</td></tr>",
        );
    }
    format!(
        "<section><h2>Managed VMs ({})</h2><table><tr><th>VM</th><th>OS</th><th>Priority</th><th>Workgroup</th><th>Runs on</th><th>PowerVS status</th><th>IP</th><th>Replication lag</th></tr>{rows}</table></section>",
        regs.len()
    )
}

/// Real-cloud duration, the figure an operator compares with the RTO.
fn op_duration(op: &Operation, now_ms: u64) -> String {
    elapsed_text(operations::real_cloud_ms(
        op,
        op.finished_ms.unwrap_or(now_ms),
    ))
}

fn running_section(ops: &[Operation], now_ms: u64) -> String {
    let Some(op) = ops.iter().find(|o| o.status == OpStatus::Running) else {
        return String::new();
    };
    let mut rows = String::new();
    for vm in &op.vms {
        let _ = write!(
            rows,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"small\">{}</td></tr>",
            esc(&vm.vm_name),
            badge(&vm.priority, &vm.priority),
            esc(&vm.workgroup_name),
            badge(status_class(vm.status.as_str()), vm.status.as_str()),
            esc(&vm.message)
        );
    }
    format!(
        "<section><h2>In progress: {} <span class=\"mono\">{}</span> {} <span class=\"small\">running for {}</span></h2><table><tr><th>VM</th><th>Priority</th><th>Workgroup</th><th>Step</th><th>Detail</th></tr>{rows}</table></section>",
        esc(op.kind.as_str()),
        esc(&op.id),
        badge("warn", "running"),
        op_duration(op, now_ms)
    )
}

fn tests_section(ops: &[Operation], now_ms: u64) -> String {
    let mut rows = String::new();
    let tests: Vec<&Operation> = ops
        .iter()
        .rev()
        .filter(|o| o.kind == OpKind::Test && o.status != OpStatus::Running)
        .take(HISTORY)
        .collect();
    for op in &tests {
        let times: Vec<String> = op
            .vms
            .iter()
            .map(|v| match v.recovery_seconds {
                Some(secs) if op.status == OpStatus::Succeeded => {
                    format!("{} {secs} s", esc(&v.vm_name))
                }
                _ => format!("{} &ndash;", esc(&v.vm_name)),
            })
            .collect();
        let _ = write!(
            rows,
            "<tr><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"small\">{}</td></tr>",
            esc(&op.started_at),
            badge(status_class(op.status.as_str()), op.status.as_str()),
            op_duration(op, now_ms),
            if op.schedule_id.is_some() {
                "schedule"
            } else {
                "manual"
            },
            times.join("<br>"),
            esc(op.error.as_deref().unwrap_or(""))
        );
    }
    if tests.is_empty() {
        rows.push_str("<tr><td colspan=\"6\" class=\"small\">No DR test has run yet.</td></tr>");
    }
    format!(
        "<section><h2>Last DR tests</h2><table><tr><th>Started</th><th>Result</th><th>Duration</th><th>Trigger</th><th>Recovery time per VM</th><th>Error</th></tr>{rows}</table></section>"
    )
}

fn history_section(ops: &[Operation], now_ms: u64) -> String {
    let mut rows = String::new();
    let moves: Vec<&Operation> = ops
        .iter()
        .rev()
        .filter(|o| o.kind != OpKind::Test && o.status != OpStatus::Running)
        .take(HISTORY)
        .collect();
    for op in &moves {
        let _ = write!(
            rows,
            "<tr><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"small\">{}</td></tr>",
            esc(op.kind.as_str()),
            esc(&op.started_at),
            badge(status_class(op.status.as_str()), op.status.as_str()),
            op_duration(op, now_ms),
            op.vms.len(),
            esc(op.error.as_deref().unwrap_or(""))
        );
    }
    if moves.is_empty() {
        rows.push_str(
            "<tr><td colspan=\"6\" class=\"small\">No failover or failback yet.</td></tr>",
        );
    }
    format!(
        "<section><h2>Failovers and failbacks</h2><table><tr><th>Type</th><th>Started</th><th>Result</th><th>Duration</th><th>VMs</th><th>Error</th></tr>{rows}</table></section>"
    )
}

fn schedules_section(world: &World, guid: &str) -> String {
    let mut rows = String::new();
    let all = schedules::schedules_of(world, guid);
    for sc in &all {
        let last = match &sc.last_result {
            Some(r) => format!(
                "{} {}",
                badge(status_class(&r.status), &r.status),
                esc(r.finished_at.as_deref().unwrap_or(""))
            ),
            None => "&ndash;".into(),
        };
        let _ = write!(
            rows,
            "<tr><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td>{}</td></tr>",
            esc(&sc.cron),
            esc(&sc.time_zone),
            if sc.enabled {
                badge("ok", "enabled")
            } else {
                badge("muted", "disabled")
            },
            esc(sc.next_run.as_deref().unwrap_or("-")),
            last
        );
    }
    if all.is_empty() {
        rows.push_str("<tr><td colspan=\"5\" class=\"small\">No scheduled DR test.</td></tr>");
    }
    format!(
        "<section><h2>DR test schedules</h2><table><tr><th>Cron</th><th>Time zone</th><th>State</th><th>Next run</th><th>Last result</th></tr>{rows}</table></section>"
    )
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"10\"><title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        esc(title)
    )
}

/// The dashboard HTML of one DR instance.
pub(crate) fn render(world: &World, instance: &Value, now_ms: u64) -> String {
    let guid = guid_of(instance);
    let name = s(instance, "name");
    let d = world.get(SERVICE, DEPLOYMENTS, &guid);
    let site = operations::load_site(world, &guid);
    let status = d
        .map(|d| s(&d["progress"], "status"))
        .unwrap_or("Not deployed");
    let mut body = format!(
        "<header><div><h1>DR orchestrator &middot; {}</h1><div class=\"sub\">Service instance {} &middot; updated {}</div></div><div style=\"margin-left:auto\">Orchestrator {} &nbsp; Active site {}</div></header><main>",
        esc(name),
        esc(&guid),
        esc(&util::rfc3339(now_ms)),
        badge(status_class(status), status),
        if site.active_site == "dr" {
            badge("info", "DR")
        } else {
            badge("ok", "PRIMARY")
        }
    );
    let Some(d) = d else {
        body.push_str("<section><h2>DR is not deployed</h2><p>Deploy the orchestrator (manage_dr) to see the DR topology.</p></section></main>");
        return page(&format!("DR orchestrator - {name}"), &body);
    };
    let primary_ws = d["orchestrator_workspace_id"].as_str();
    let dr_ws_owned = d["standby_orchestrator_workspace_id"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| {
            operations::operations_of(world, &guid)
                .last()
                .filter(|o| o.kind == OpKind::Test)
                .map(|o| o.target_workspace_id.clone())
        });
    let dr_ws = dr_ws_owned.as_deref();
    let crns: Vec<String> = [primary_ws, dr_ws]
        .iter()
        .flatten()
        .filter_map(|w| workspace(world, w))
        .filter_map(|w| w["details"]["crn"].as_str().map(str::to_owned))
        .collect();
    let _ = write!(
        body,
        "<section><h2>DR topology</h2><div class=\"topo\">{}{}{}</div></section>",
        site_card(
            world,
            "Primary site",
            primary_ws,
            d["_primary_vm_id"].as_str(),
            site.active_site != "dr"
        ),
        gateway_card(world, &crns),
        site_card(
            world,
            "DR site",
            dr_ws,
            d["_standby_vm_id"].as_str(),
            site.active_site == "dr"
        )
    );
    let ops = operations::operations_of(world, &guid);
    body.push_str(&running_section(&ops, now_ms));
    body.push_str(&managed_vms_table(world, &guid, now_ms));
    body.push_str(&tests_section(&ops, now_ms));
    let _ = write!(
        body,
        "<div class=\"grid2\">{}{}</div>",
        schedules_section(world, &guid),
        history_section(&ops, now_ms)
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
        Ok(instance) => html_response(StatusCode::OK, render(&world, &instance, sim.now_ms())),
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
