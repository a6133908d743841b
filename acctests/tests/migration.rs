//! The migration example (`examples/migration`) against dr-cloudsim: a DR deployment that
//! exists before the move (primary and standby orchestrator, a security-group rule for the
//! PowerVS subnet, a VM under DR with high priority) is taken over by the example's import
//! blocks with nothing to add, change or destroy, and the takeover writes nothing to the cloud.
//! The deployment is made by this provider in another working directory: to the provider a
//! deployment made by IBM's `ibm_pdr_managedr` is the same objects behind the same APIs.
//!
//! Needs `cargo build --workspace --bins` first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acctests::fixtures::{
    self, ORCH_PASSWORD, PRIMARY, PROVIDER_HEADER, STANDBY, ha_standby, managed_vm,
    security_group_rule, single_port,
};
use acctests::sim::{ACC_KEY_NAME, Sim};
use acctests::{skip, terraform_at_least};
use serde_json::Value;

const MGMT_CIDR: &str = "10.51.0.0/24";

fn string(values: &Value, key: &str) -> String {
    values[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {values}"))
        .to_string()
}

/// The deployment as it stands before the move.
fn existing_deployment(sim: &Sim, sg: &str, vm: &str) -> String {
    let orchestrator = fixtures::orchestrator("dr-prod", &sim.workspace_id(PRIMARY))
        .string("orchestrator_user", "dradmin")
        .string("orchestrator_password_wo", ORCH_PASSWORD)
        .string("ssh_key_name", ACC_KEY_NAME);
    let standby = ha_standby(
        "s",
        "o",
        &sim.workspace_id(STANDBY),
        &sim.transit_gateway_id(),
    )
    .string("orchestrator_password_wo", ORCH_PASSWORD)
    .string("ssh_key_name", ACC_KEY_NAME);
    let rule = single_port(security_group_rule("r", sg, MGMT_CIDR), "tcp", 443);
    let app = managed_vm("app", "o", vm).string("priority", "high");
    format!("{PROVIDER_HEADER}{orchestrator}{standby}{rule}{app}")
}

#[test]
fn the_migration_example_takes_over_an_existing_deployment_with_imports_only() {
    if !terraform_at_least(1, 11) {
        skip(
            "migration example",
            "it uses write-only arguments (Terraform 1.11 and later); examples_are_formatted covers the file on older versions",
        );
        return;
    }
    let sim = Sim::start(200.0);
    let sg = sim.security_group_id_like("management-sg");
    let vm = sim.vm_id("aix-app-01");
    let before = sim.workdir();
    before.config(&existing_deployment(&sim, &sg, &vm));
    before.apply();
    let orchestrator = before.resource_values("dr_orchestrator.o").unwrap();
    let rule = before.resource_values("dr_security_group_rule.r").unwrap();
    let guid = string(&orchestrator, "id");

    // The configuration after the move, in a directory with no state of the deployment.
    let wd = sim.workdir();
    wd.copy_example("migration");
    let private_key = sim.acc_private_key().replace('\n', "\\n");
    wd.write(
        "terraform.tfvars",
        &format!(
            r#"zone                           = "dal10"
dr_instance_guid               = "{guid}"
deployment_name                = "dr-prod"
orchestrator_user              = "dradmin"
orchestrator_password          = "{ORCH_PASSWORD}"
primary_workspace_guid         = "{primary}"
ssh_key_name                   = "{ACC_KEY_NAME}"
standby_workspace_guid         = "{standby}"
transit_gateway_id             = "{gateway}"
security_group_id              = "{sg}"
security_group_rule_id         = "{rule_id}"
powervs_management_subnet_cidr = "{MGMT_CIDR}"
protected_vms = {{
  app = {{ pvm_instance_id = "{vm}", priority = "high" }}
}}
ssh_private_key   = "{private_key}"
access_host_or_ip = "{jump}"
"#,
            primary = sim.workspace_id(PRIMARY),
            standby = sim.workspace_id(STANDBY),
            gateway = sim.transit_gateway_id(),
            rule_id = string(&rule, "rule_id"),
            jump = sim.ssh_addr(),
        ),
    );

    let writes = sim.cloud_writes();
    let plan = wd.run_ok(&["plan", "-input=false", "-no-color"]);
    assert!(
        plan.stdout
            .contains("Plan: 4 to import, 0 to add, 0 to change, 0 to destroy."),
        "the takeover must be imports only:\n{}",
        plan.stdout
    );
    wd.apply();
    wd.assert_plan_empty();
    assert_eq!(
        sim.cloud_writes(),
        writes,
        "taking a deployment over writes nothing to the cloud"
    );

    let taken = wd.resource_values("dr_orchestrator.dr").unwrap();
    assert_eq!(taken["id"], orchestrator["id"]);
    assert_eq!(
        taken["orchestrator_vm_id"],
        orchestrator["orchestrator_vm_id"]
    );
    let standby = wd.resource_values("dr_ha_standby.dr").unwrap();
    assert_eq!(standby["status"], "Active");
    assert_eq!(
        standby["manages_transit_gateway_connection"], false,
        "a gateway connection found in place is left in place on destroy"
    );
    let managed = wd
        .resource_values("dr_managed_vm.protected[\"app\"]")
        .unwrap();
    assert_eq!(managed["priority"], "high");
    assert_eq!(
        wd.resource_values("dr_security_group_rule.powervs_mgmt_https")
            .unwrap()["rule_id"],
        rule["rule_id"]
    );
    let raw = wd.raw_state();
    assert!(!raw.contains(ORCH_PASSWORD), "no password in state");
    assert!(!raw.contains("PRIVATE KEY"), "no private key in state");
}
