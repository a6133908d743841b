//! `GET /metrics`: DR health in the Prometheus text format (version 0.0.4), so a
//! Prometheus or Grafana next to the emulator can watch DR the way it would watch a real
//! orchestrator exporter. Not an IBM API: no token, and the request counters and faults
//! leave it alone.
//!
//! - `dr_managed_vm_count{deployment,instance_id}`: VMs under DR per deployment.
//! - `dr_active_site{deployment,instance_id}`: 0 primary, 1 DR.
//! - `dr_operation_total{type,status}`: finished operations (kept after an instance is deleted).
//! - `dr_operation_running{deployment,type}`: 1 while an operation runs.
//! - `dr_test_last_recovery_seconds{deployment,vm}` and
//!   `dr_test_last_success_timestamp_seconds{deployment}`: from the last successful DR test.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::operations::{
    self, OPERATION_TOTALS, OpKind, OpStatus, Operation, TOTALS_ID, load_site,
};
use super::{DEPLOYMENTS, MANAGED_VMS, RC, RC_INSTANCES, SERVICE};
use crate::sim::Sim;
use crate::store::World;

/// A label value with `\`, `"` and newlines escaped as the format requires.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn header_lines(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Deployments as (instance GUID, deployment name), in creation order.
fn deployments(world: &World) -> Vec<(String, String)> {
    world
        .ids_where(SERVICE, DEPLOYMENTS, |_| true)
        .into_iter()
        .map(|guid| {
            let name = world
                .get(RC, RC_INSTANCES, &guid)
                .and_then(|i| i["name"].as_str())
                .unwrap_or(&guid)
                .to_owned();
            (guid, name)
        })
        .collect()
}

/// The whole exposition text.
pub(crate) fn render(world: &World) -> String {
    let mut out = String::new();
    let deployments = deployments(world);

    header_lines(
        &mut out,
        "dr_managed_vm_count",
        "gauge",
        "Virtual servers managed by DR, per DR deployment.",
    );
    for (guid, name) in &deployments {
        let count = world
            .list(SERVICE, MANAGED_VMS)
            .filter(|m| m["instance_id"].as_str() == Some(guid.as_str()))
            .count();
        let _ = writeln!(
            out,
            "dr_managed_vm_count{{deployment=\"{}\",instance_id=\"{}\"}} {count}",
            label(name),
            label(guid)
        );
    }

    header_lines(
        &mut out,
        "dr_active_site",
        "gauge",
        "Site the managed VMs run on: 0 primary, 1 DR.",
    );
    for (guid, name) in &deployments {
        let dr = u8::from(load_site(world, guid).active_site == "dr");
        let _ = writeln!(
            out,
            "dr_active_site{{deployment=\"{}\",instance_id=\"{}\"}} {dr}",
            label(name),
            label(guid)
        );
    }

    header_lines(
        &mut out,
        "dr_operation_total",
        "counter",
        "Finished DR operations by type and final status.",
    );
    let totals = world
        .get(SERVICE, OPERATION_TOTALS, TOTALS_ID)
        .cloned()
        .unwrap_or(Value::Null);
    for kind in OpKind::ALL {
        for status in OpStatus::FINISHED {
            let n = totals[kind.as_str()][status.as_str()].as_u64().unwrap_or(0);
            let _ = writeln!(
                out,
                "dr_operation_total{{type=\"{}\",status=\"{}\"}} {n}",
                kind.as_str(),
                status.as_str()
            );
        }
    }

    let per_deployment: Vec<(String, Vec<Operation>)> = deployments
        .iter()
        .map(|(guid, name)| (name.clone(), operations::operations_of(world, guid)))
        .collect();

    header_lines(
        &mut out,
        "dr_operation_running",
        "gauge",
        "1 while a DR operation of this type runs on the deployment.",
    );
    for (name, ops) in &per_deployment {
        for op in ops.iter().filter(|o| o.status == OpStatus::Running) {
            let _ = writeln!(
                out,
                "dr_operation_running{{deployment=\"{}\",type=\"{}\"}} 1",
                label(name),
                op.kind.as_str()
            );
        }
    }

    let last_tests: Vec<(&String, &Operation)> = per_deployment
        .iter()
        .filter_map(|(name, ops)| {
            ops.iter()
                .rev()
                .find(|o| o.kind == OpKind::Test && o.status == OpStatus::Succeeded)
                .map(|o| (name, o))
        })
        .collect();
    header_lines(
        &mut out,
        "dr_test_last_recovery_seconds",
        "gauge",
        "Recovery time of each VM in the last successful DR test (seconds from the test's start).",
    );
    for (name, op) in &last_tests {
        for vm in &op.vms {
            if let Some(secs) = vm.recovery_seconds {
                let _ = writeln!(
                    out,
                    "dr_test_last_recovery_seconds{{deployment=\"{}\",vm=\"{}\"}} {secs}",
                    label(name),
                    label(&vm.vm_name)
                );
            }
        }
    }
    header_lines(
        &mut out,
        "dr_test_last_success_timestamp_seconds",
        "gauge",
        "Unix time the last successful DR test finished.",
    );
    for (name, op) in &last_tests {
        if let Some(ms) = op.finished_ms {
            let _ = writeln!(
                out,
                "dr_test_last_success_timestamp_seconds{{deployment=\"{}\"}} {}",
                label(name),
                ms / 1000
            );
        }
    }
    out
}

/// `GET /metrics`.
pub async fn handler(State(sim): State<Arc<Sim>>) -> Response {
    let world = sim.world().await;
    let body = render(&world);
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn an_empty_world_still_declares_every_family() {
        let text = render(&World::new(1));
        for family in [
            "dr_managed_vm_count",
            "dr_operation_total",
            "dr_test_last_recovery_seconds",
            "dr_test_last_success_timestamp_seconds",
        ] {
            assert!(text.contains(&format!("# TYPE {family} ")), "{family}");
        }
        assert!(text.contains("dr_operation_total{type=\"failover\",status=\"succeeded\"} 0"));
    }
}
