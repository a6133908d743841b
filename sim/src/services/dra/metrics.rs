//! `GET /metrics`: DR Automation's platform metrics in the Prometheus text format (version
//! 0.0.4), named and labelled as IBM Cloud Monitoring shows them, so a
//! Prometheus or Grafana next to the emulator sees what a real account's monitoring would.
//! Not an IBM API: no token, and the request counters and faults leave it alone.
//!
//! - `ibm_power_dr_automation_managed_vm_count{ibm_service_instance,ibm_service_instance_name}`:
//!   VMs managed by KSYS per DR Automation service instance (IBM segments by instance GUID
//!   and name).
//! - `ibm_power_dr_automation_dr_average_time{...}`: the mean `dr_average_time` (minutes) of
//!   the instance's managed VMs, as `dr_managed_vms` reports it per VM.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{DEPLOYMENTS, POWER, PVM_INSTANCES, RC, RC_INSTANCES, SERVICE};
use crate::services::ksys;
use crate::sim::Sim;
use crate::store::World;

pub const MANAGED_VM_COUNT: &str = "ibm_power_dr_automation_managed_vm_count";
pub const DR_AVERAGE_TIME: &str = "ibm_power_dr_automation_dr_average_time";

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

/// Deployments as (instance GUID, instance name), in creation order.
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
    let labels = |guid: &str, name: &str| {
        format!(
            "ibm_service_instance=\"{}\",ibm_service_instance_name=\"{}\"",
            label(guid),
            label(name)
        )
    };

    header_lines(
        &mut out,
        MANAGED_VM_COUNT,
        "gauge",
        "Number of virtual servers managed by DR, per DR Automation service instance.",
    );
    for (guid, name) in &deployments {
        let count = ksys::managed_vms(world, guid).len();
        let _ = writeln!(out, "{MANAGED_VM_COUNT}{{{}}} {count}", labels(guid, name));
    }

    header_lines(
        &mut out,
        DR_AVERAGE_TIME,
        "gauge",
        "Average DR recovery time in minutes of the managed virtual servers.",
    );
    for (guid, name) in &deployments {
        let minutes: Vec<u64> = ksys::managed_vms(world, guid)
            .iter()
            .filter_map(|vm| world.get(POWER, PVM_INSTANCES, &vm.uuid))
            .map(|vm| super::average_recovery_minutes(vm["memory"].as_f64().unwrap_or(0.0)))
            .collect();
        if minutes.is_empty() {
            continue;
        }
        let mean = minutes.iter().sum::<u64>() as f64 / minutes.len() as f64;
        let _ = writeln!(out, "{DR_AVERAGE_TIME}{{{}}} {mean}", labels(guid, name));
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
        for family in [MANAGED_VM_COUNT, DR_AVERAGE_TIME] {
            assert!(text.contains(&format!("# TYPE {family} gauge")), "{family}");
        }
    }
}
