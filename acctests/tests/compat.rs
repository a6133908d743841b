//! Compatibility smoke: the same small DR configuration on every Terraform version the project
//! supports (1.6.6, 1.10.5, 1.12.2, 1.15.5, 1.16.4) and on OpenTofu 1.12.6 (`scripts/compat.sh`
//! runs this file once per version through `TF_ACC_TERRAFORM_VERSION`). It checks the schema Terraform sees, an apply against
//! dr-cloudsim with an empty second plan, the orchestrator password on both sides of
//! Terraform 1.11 (write-only from 1.11 on, refused before it, the sensitive argument works
//! everywhere), and that `terraform plan -generate-config-out` writes HCL Terraform accepts for
//! every resource type.
//!
//! Needs `cargo build --workspace --bins` first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acctests::fixtures::{
    self, Block, PRIMARY, PROVIDER_HEADER, STANDBY, ha_standby, managed_vm, password_arguments,
    plain_password, security_group_rule, single_port, test_schedule, write_only_password,
};
use acctests::sim::{ACC_KEY_NAME, Sim};
use acctests::{WorkDir, default_registry, terraform_at_least};
use serde_json::Value;

const PASSWORD: &str = "Compat-Passw0rd!";
/// Ids of the default scenario, looked up by name so a scenario change shows up here clearly.
struct Scenario {
    primary: String,
    standby: String,
    primary_network: String,
    standby_network: String,
    gateway: String,
    security_group: String,
    aix_vm: String,
}

fn workspace_of(crn: &str) -> &str {
    crn.split(':').nth(7).unwrap_or_default()
}

fn scenario(sim: &Sim) -> Scenario {
    let state = sim.state();
    let by_name = |list: &Value, key: &str, name: &str, id: &str| -> String {
        list.as_array()
            .unwrap()
            .iter()
            .find(|o| o[key] == name)
            .unwrap_or_else(|| panic!("{name} in the scenario"))[id]
            .as_str()
            .unwrap()
            .to_string()
    };
    let workspaces = &state["power"]["workspaces"];
    let primary = by_name(workspaces, "name", PRIMARY, "id");
    let standby = by_name(workspaces, "name", STANDBY, "id");
    let network = |ws: &str| -> String {
        state["power"]["networks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["name"] == "mgmt_net" && workspace_of(n["crn"].as_str().unwrap()) == ws)
            .unwrap()["networkID"]
            .as_str()
            .unwrap()
            .to_string()
    };
    Scenario {
        primary_network: network(&primary),
        standby_network: network(&standby),
        gateway: state["tg"]["gateways"][0]["id"]
            .as_str()
            .unwrap()
            .to_string(),
        security_group: by_name(
            &state["vpc"]["security_groups"],
            "name",
            "management-sg",
            "id",
        ),
        aix_vm: by_name(
            &state["power"]["pvm_instances"],
            "serverName",
            "aix-app-01",
            "pvmInstanceID",
        ),
        primary,
        standby,
    }
}

/// `dr_orchestrator.o` in the primary workspace's management network, with `password` lines.
fn orchestrator(s: &Scenario, password: &str) -> String {
    fixtures::orchestrator("compat", &s.primary)
        .string("orchestrator_user", "dradmin")
        .arg("network_ids", &format!("[\"{}\"]", s.primary_network))
        .string("ssh_key_name", ACC_KEY_NAME)
        .raw(password)
        .hcl()
}

/// Every resource type once: orchestrator, standby, a managed VM, a DR test schedule and a
/// security-group rule fed by the workspace-subnets data source.
fn full_config(s: &Scenario) -> String {
    let password = password_arguments(PASSWORD);
    let standby = ha_standby("s", "o", &s.standby, &s.gateway)
        .arg("network_ids", &format!("[\"{}\"]", s.standby_network))
        .string("ssh_key_name", ACC_KEY_NAME)
        .raw(&password);
    let vm = managed_vm("vm", "o", &s.aix_vm)
        .string("priority", "high")
        .arg("depends_on", "[dr_ha_standby.s]");
    let weekly = test_schedule("weekly", "o")
        .string("cron", "0 2 * * SUN")
        .string("time_zone", "America/Chicago");
    let subnets = Block::data("dr_workspace_subnets", "primary")
        .string("workspace_id", &s.primary)
        .string("name", "mgmt_net");
    let rule = single_port(security_group_rule("r", &s.security_group, ""), "udp", 123)
        .arg("remote_cidr", "data.dr_workspace_subnets.primary.cidrs[0]");
    format!(
        "{PROVIDER_HEADER}{orchestrator}{standby}{vm}{weekly}{subnets}{rule}",
        orchestrator = orchestrator(s, &password),
    )
}

#[test]
fn compat_schema_has_every_type() {
    let wd = WorkDir::new();
    wd.config(PROVIDER_HEADER);
    let out = wd.run_ok(&["providers", "schema", "-json"]);
    let start = out.stdout.find('{').unwrap();
    let schema: Value = serde_json::from_str(out.stdout[start..].trim()).unwrap();
    // OpenTofu resolves the same source address on its own registry host.
    let address = format!("{}/powervs/dr", default_registry());
    let dr = &schema["provider_schemas"][&address];
    assert!(dr.is_object(), "no schema for {address}:\n{}", out.stdout);
    for resource in [
        "dr_orchestrator",
        "dr_ha_standby",
        "dr_managed_vm",
        "dr_security_group_rule",
        "dr_test_schedule",
    ] {
        assert!(dr["resource_schemas"][resource].is_object(), "{resource}");
    }
    for data_source in [
        "dr_workspaces",
        "dr_workspace_subnets",
        "dr_machine_types",
        "dr_summary",
        "dr_managed_vms",
        "dr_events",
    ] {
        assert!(
            dr["data_source_schemas"][data_source].is_object(),
            "{data_source}"
        );
    }
    if terraform_at_least(1, 8) {
        assert!(dr["functions"]["cidr_overlaps"].is_object());
    }
}

#[test]
fn compat_write_only_password_needs_terraform_1_11() {
    let sim = Sim::start(200.0);
    let s = scenario(&sim);
    let wd = sim.workdir();
    let write_only = write_only_password(PASSWORD);
    wd.config(&format!(
        "{PROVIDER_HEADER}{}",
        orchestrator(&s, &write_only)
    ));
    if terraform_at_least(1, 11) {
        wd.apply();
        assert!(
            !wd.raw_state().contains(PASSWORD),
            "a write-only password reached the state"
        );
        wd.assert_plan_empty();
        wd.destroy();
    } else {
        // Older Terraform would store the value: the provider refuses before any API call.
        sim.reset_requests();
        // (Terraform's own diagnostic quotes the configuration line, so only the state and the
        // API are checked for the value.)
        wd.plan_expect_error("orchestrator_password_wo is write-only, which needs Terraform 1.11");
        assert!(!wd.raw_state().contains(PASSWORD));
        assert_eq!(sim.mutating_requests(), 0);
        // The sensitive argument is the way on these versions.
        let sensitive = plain_password(PASSWORD);
        wd.config(&format!(
            "{PROVIDER_HEADER}{}",
            orchestrator(&s, &sensitive)
        ));
        wd.apply();
        wd.assert_plan_empty();
        wd.destroy();
    }
}

#[test]
fn compat_apply_plan_and_generate_config_for_every_resource() {
    let sim = Sim::start(200.0);
    let s = scenario(&sim);
    let wd = sim.workdir();
    wd.config(&full_config(&s));
    wd.apply();
    wd.assert_plan_empty();

    let state = wd.state_json();
    let resources = state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .clone();
    let mut generated = Vec::new();
    for r in resources.iter().filter(|r| r["mode"] == "managed") {
        let type_name = r["type"].as_str().unwrap();
        let id = r["values"]["id"].as_str().unwrap();
        generated.push(type_name.to_string());
        // A fresh directory with only an import block: Terraform writes the resource's HCL.
        let fresh = sim.workdir();
        fresh.config(&format!(
            "{PROVIDER_HEADER}\nimport {{\n  to = {type_name}.imported\n  id = \"{id}\"\n}}\n"
        ));
        let out = fresh.run(&[
            "plan",
            "-input=false",
            "-no-color",
            "-generate-config-out=generated.tf",
        ]);
        let hcl = std::fs::read_to_string(fresh.path().join("generated.tf")).unwrap_or_default();
        assert!(
            hcl.contains(&format!("resource \"{type_name}\" \"imported\"")),
            "{type_name}: no generated configuration:\n{}",
            out.combined()
        );
        // The generated file must be HCL Terraform parses and type-checks; the only thing it
        // may lack is a secret the API never returns (the orchestrator password), which
        // Terraform leaves null and the provider then asks for.
        let validate = fresh.run(&["validate", "-no-color"]);
        let text = validate.combined();
        if validate.code != 0 {
            assert!(
                matches!(type_name, "dr_orchestrator" | "dr_ha_standby")
                    && text.contains("Missing orchestrator password")
                    && !text.contains("Unsupported argument")
                    && !text.contains("Conflicting configuration"),
                "{type_name}: generated HCL does not validate:\n{hcl}\n{text}"
            );
            // With the password added, the generated resource validates and imports cleanly.
            let password = if terraform_at_least(1, 11) {
                format!(
                    "orchestrator_password_wo = \"{PASSWORD}\"\n  orchestrator_password_wo_version = 1\n"
                )
            } else {
                format!("orchestrator_password = \"{PASSWORD}\"\n")
            };
            let patched = hcl
                .lines()
                .filter(|l| !l.trim_start().starts_with("orchestrator_password"))
                .collect::<Vec<_>>()
                .join("\n")
                .replacen("{\n", &format!("{{\n  {password}"), 1);
            std::fs::write(fresh.path().join("generated.tf"), patched).unwrap();
            fresh.run_ok(&["validate", "-no-color"]);
        }
        fresh.run_ok(&["plan", "-input=false", "-no-color"]);
    }
    generated.sort();
    assert_eq!(
        generated,
        [
            "dr_ha_standby",
            "dr_managed_vm",
            "dr_orchestrator",
            "dr_security_group_rule",
            "dr_test_schedule"
        ],
        "every resource type was imported"
    );
    wd.destroy();
}
