//! Acceptance tests of adopting an existing DR setup in bulk, with real Terraform against
//! dr-cloudsim (through its SSH jump host to the emulated KSYS):
//! - `terraform query` (Terraform 1.14+) with a list block for each of the five types finds
//!   the orchestrator, its standby, managed VMs and test schedule, and a security group's rules;
//!   `-generate-config-out` writes their configuration, and once the password the API never
//!   returns is added, `terraform plan` only imports;
//! - `import` blocks by `identity = { ... }` (Terraform 1.12+) for each type, the identities
//!   in `terraform show -json`, and state without identities (written before them) completed
//!   by a refresh;
//! - a managed-VM listing without orchestrator access fails with the one diagnostic that says
//!   how to configure it, and bad list configuration is refused at its attribute.
//!
//! Older Terraform has none of these: each test says so and stops (compat.rs checks the same
//! provider still works there). Needs `cargo build --workspace --bins` first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acctests::fixtures::{
    self, ORCH_PASSWORD, PRIMARY, PROVIDER_HEADER, STANDBY, ha_standby, managed_vm,
    security_group_rule, single_port, test_schedule, write_only_password,
};
use acctests::sim::{ACC_KEY_NAME, Sim};
use acctests::{WorkDir, query_results, terraform_lacks, workspace_root};
use serde_json::{Value, json};

/// Writes to the cloud (an IAM token is fetched with a POST but changes nothing), and KSYS
/// commands that are not read-only.
fn writes(sim: &Sim) -> (u64, Vec<String>) {
    let requests = sim.cloud_writes();
    let commands = sim
        .ssh_commands()
        .into_keys()
        .filter(|c| !(c.starts_with("ksysmgr query") || c == "crontab -l" || c == "date -u"))
        .collect();
    (requests, commands)
}

fn security_group_id(sim: &Sim) -> String {
    sim.objects("vpc", "security_groups")
        .iter()
        .find(|g| g["name"] == "management-sg")
        .and_then(|g| g["id"].as_str())
        .expect("the scenario's management-sg")
        .to_string()
}

fn network_id(sim: &Sim, workspace: &str) -> String {
    sim.network_id(workspace, "mgmt_net")
}

/// A DR setup of every type: orchestrator with standby, three managed VMs (two in one
/// workgroup), a weekly test and two security group rules.
fn setup(sim: &Sim) -> String {
    let password = write_only_password(ORCH_PASSWORD);
    let orchestrator = fixtures::orchestrator("dr-adopt", &sim.workspace_id(PRIMARY))
        .label("main")
        .string("orchestrator_user", "dradmin")
        .arg(
            "network_ids",
            &format!("[\"{}\"]", network_id(sim, PRIMARY)),
        )
        .string("ssh_key_name", ACC_KEY_NAME)
        .raw(&password);
    let standby = ha_standby(
        "standby",
        "main",
        &sim.workspace_id(STANDBY),
        &sim.transit_gateway_id(),
    )
    .arg(
        "network_ids",
        &format!("[\"{}\"]", network_id(sim, STANDBY)),
    )
    .string("ssh_key_name", ACC_KEY_NAME)
    .raw(&password);
    let erp = |label: &str, vm: &str, after: &str| {
        managed_vm(label, "main", &sim.vm_id(vm))
            .string("workgroup_name", "erp")
            .string("priority", "high")
            .arg("depends_on", &format!("[{after}]"))
    };
    let app = erp("app", "aix-app-01", "dr_ha_standby.standby");
    let web = erp("web", "rhel-web-01", "dr_managed_vm.app");
    let db = managed_vm("db", "main", &sim.vm_id("ibmi-db-01"))
        .string("priority", "low")
        .arg("depends_on", "[dr_managed_vm.web]");
    let weekly = test_schedule("weekly", "main")
        .string("cron", "0 2 * * SUN")
        .string("time_zone", "America/Chicago")
        .arg("depends_on", "[dr_managed_vm.db]");
    let sg = security_group_id(sim);
    let ssh = single_port(security_group_rule("ssh", &sg, "10.61.0.0/24"), "tcp", 22)
        .string("name", "adopt-ssh");
    let ntp = single_port(security_group_rule("ntp", &sg, "10.62.0.0/24"), "udp", 123)
        .string("direction", "outbound")
        .string("name", "adopt-ntp")
        .arg("depends_on", "[dr_security_group_rule.ssh]");
    format!("{PROVIDER_HEADER}{orchestrator}{standby}{app}{web}{db}{weekly}{ssh}{ntp}")
}

/// The owner's working directory with the setup applied, and the orchestrator id.
/// A dr-cloudsim with the setup applied by its owner, or `None` (after a line saying why) on a
/// Terraform before 1.`minor`, which lacks `feature`.
fn applied_on_terraform(minor: u32, feature: &str) -> Option<(Sim, WorkDir, String)> {
    if terraform_lacks(1, minor, feature) {
        return None;
    }
    let sim = Sim::start(300.0);
    let (owner, orchestrator) = applied(&sim);
    Some((sim, owner, orchestrator))
}

fn applied(sim: &Sim) -> (WorkDir, String) {
    let owner = sim.workdir();
    owner.config(&setup(sim));
    owner.apply();
    owner.assert_plan_empty();
    let id = owner.string_attribute("dr_orchestrator.main", "id");
    (owner, id)
}

/// The setup as someone adopting it writes it: the orchestrator id is a literal, and the
/// password goes without `orchestrator_password_wo_version`, which only says "the password
/// changed" and which an import cannot read back (nothing changed yet).
fn adopted_setup(sim: &Sim, orchestrator: &str) -> String {
    setup(sim)
        .replace("dr_orchestrator.main.id", &format!("{orchestrator:?}"))
        .lines()
        .filter(|l| {
            !l.trim_start()
                .starts_with("orchestrator_password_wo_version")
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

fn queries(orchestrator: &str, sg: &str) -> String {
    format!(
        r#"
list "dr_orchestrator" "all" {{
  provider         = dr
  include_resource = true
  config {{}}
}}

list "dr_orchestrator" "none" {{
  provider = dr
  config {{
    name = "no-such-deployment"
  }}
}}

list "dr_ha_standby" "standby" {{
  provider = dr
  config {{
    orchestrator_id = "{orchestrator}"
  }}
}}

list "dr_ha_standby" "account" {{
  provider = dr
  config {{}}
}}

list "dr_managed_vm" "vms" {{
  provider         = dr
  include_resource = true
  config {{
    orchestrator_id = "{orchestrator}"
  }}
}}

list "dr_managed_vm" "erp" {{
  provider = dr
  config {{
    orchestrator_id = "{orchestrator}"
    workgroup_name  = "erp"
  }}
}}

list "dr_test_schedule" "tests" {{
  provider = dr
  config {{
    orchestrator_id = "{orchestrator}"
  }}
}}

list "dr_security_group_rule" "rules" {{
  provider = dr
  config {{
    security_group_id = "{sg}"
  }}
}}

list "dr_security_group_rule" "outbound" {{
  provider = dr
  config {{
    security_group_id = "{sg}"
    direction         = "outbound"
  }}
}}
"#
    )
}

/// A working directory holding the shipped `examples/query` (its `versions.tf` and query
/// file), pointed at the emulator.
fn shipped_query_example(sim: &Sim) -> WorkDir {
    let wd = sim.workdir();
    let dir = workspace_root().join("examples/query");
    for entry in std::fs::read_dir(&dir).expect("examples/query") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name.ends_with(".tf") || name.ends_with(".tfquery.hcl") {
            wd.write(&name, &std::fs::read_to_string(&path).expect("read"));
        }
    }
    wd
}

fn identities(results: &[Value]) -> Vec<Value> {
    results.iter().map(|r| r["identity"].clone()).collect()
}

/// Replaces the password arguments Terraform generated (`null # sensitive`, `null`) by the
/// write-only password, as a user does after `-generate-config-out`; the version stays null
/// until the password is rotated.
fn supply_password(generated: &str) -> String {
    let mut out = String::new();
    for line in generated.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("orchestrator_password_wo_version") {
            out.push_str(line);
            out.push('\n');
        } else if trimmed.starts_with("orchestrator_password_wo") {
            out.push_str(&format!("  orchestrator_password_wo = {ORCH_PASSWORD:?}\n"));
        } else if trimmed.starts_with("orchestrator_password") {
            continue;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[test]
fn query_lists_every_type_and_generated_config_only_imports() {
    let Some((sim, owner, orchestrator)) = applied_on_terraform(14, "terraform query") else {
        return;
    };
    let sg = security_group_id(&sim);
    let rules_in_group = sim
        .objects("vpc", "security_groups")
        .iter()
        .find(|g| g["id"] == sg.as_str())
        .and_then(|g| g["rules"].as_array().cloned())
        .unwrap_or_default();

    let adopter = sim.workdir();
    adopter.config(PROVIDER_HEADER);
    adopter.write("adopt.tfquery.hcl", &queries(&orchestrator, &sg));
    sim.reset_requests();
    let messages = adopter.query_json(&[]);
    assert_eq!(writes(&sim), (0, vec![]), "a query changes nothing");

    let orchestrators = query_results(&messages, "list.dr_orchestrator.all");
    assert_eq!(identities(&orchestrators), [json!({"id": orchestrator})]);
    assert_eq!(orchestrators[0]["display_name"], "dr-adopt");
    let object = &orchestrators[0]["resource_object"];
    assert_eq!(object["workspace_id"], sim.workspace_id(PRIMARY).as_str());
    assert_eq!(object["orchestrator_user"], "dradmin");
    assert!(
        !messages
            .iter()
            .any(|m| m.to_string().contains(ORCH_PASSWORD)),
        "a listed object showed the password"
    );

    let standby = query_results(&messages, "list.dr_ha_standby.standby");
    assert_eq!(
        identities(&standby),
        [json!({"orchestrator_id": orchestrator})]
    );
    assert!(query_results(&messages, "list.dr_orchestrator.none").is_empty());
    assert_eq!(
        identities(&query_results(&messages, "list.dr_ha_standby.account")),
        [json!({"orchestrator_id": orchestrator})],
        "every deployment of the account"
    );

    let vms = query_results(&messages, "list.dr_managed_vm.vms");
    let mut vm_identities = identities(&vms);
    vm_identities.sort_by_key(|v| v["pvm_instance_id"].as_str().unwrap().to_string());
    let mut want: Vec<Value> = ["aix-app-01", "rhel-web-01", "ibmi-db-01"]
        .iter()
        .map(|name| json!({"orchestrator_id": orchestrator, "pvm_instance_id": sim.vm_id(name)}))
        .collect();
    want.sort_by_key(|v| v["pvm_instance_id"].as_str().unwrap().to_string());
    assert_eq!(vm_identities, want);
    let app = vms
        .iter()
        .find(|r| r["identity"]["pvm_instance_id"] == sim.vm_id("aix-app-01").as_str())
        .expect("aix-app-01 listed");
    assert_eq!(app["resource_object"]["workgroup_name"], "erp");
    assert_eq!(app["resource_object"]["priority"], "high");
    assert_eq!(app["resource_object"]["protection_state"], "READY_TO_MOVE");
    let erp = query_results(&messages, "list.dr_managed_vm.erp");
    assert_eq!(erp.len(), 2, "the workgroup filter: {erp:?}");

    let tests = query_results(&messages, "list.dr_test_schedule.tests");
    assert_eq!(tests.len(), 1, "{tests:?}");
    assert_eq!(
        tests[0]["identity"]["orchestrator_id"],
        orchestrator.as_str()
    );
    let schedule = owner.resource_values("dr_test_schedule.weekly").unwrap();
    assert_eq!(
        tests[0]["identity"]["schedule_id"], schedule["schedule_id"],
        "{tests:?}"
    );

    let rules = query_results(&messages, "list.dr_security_group_rule.rules");
    let rule_ids: Vec<&str> = rules
        .iter()
        .map(|r| r["identity"]["rule_id"].as_str().unwrap())
        .collect();
    for address in ["dr_security_group_rule.ssh", "dr_security_group_rule.ntp"] {
        let rule = owner.resource_values(address).unwrap();
        assert!(
            rule_ids.contains(&rule["rule_id"].as_str().unwrap()),
            "{address} not listed: {rules:?}"
        );
    }
    let ssh = rules
        .iter()
        .find(|r| r["display_name"].as_str().unwrap().starts_with("adopt-ssh"))
        .expect("the ssh rule by name");
    assert_eq!(
        ssh["display_name"], "adopt-ssh (inbound tcp 22 from 10.61.0.0/24)",
        "{ssh}"
    );
    assert!(rules.len() <= rules_in_group.len());
    let outbound = query_results(&messages, "list.dr_security_group_rule.outbound");
    assert!(
        outbound
            .iter()
            .all(|r| r["display_name"].as_str().unwrap().contains("(outbound ")),
        "{outbound:?}"
    );
    assert!(
        outbound
            .iter()
            .any(|r| r["display_name"].as_str().unwrap().starts_with("adopt-ntp")),
        "{outbound:?}"
    );

    // The shipped example (examples/query) finds the same setup by the deployment's name, in
    // a directory holding only it; its generated configuration, once the password the API
    // never returns is added, only imports.
    let adopter = shipped_query_example(&sim);
    let vars = [
        "-var=deployment=dr-adopt".to_string(),
        format!("-var=security_group_id={sg}"),
    ];
    let vars: Vec<&str> = vars.iter().map(String::as_str).collect();
    let messages = adopter.query_json(&vars);
    for (address, count) in [
        ("list.dr_orchestrator.dr", 1),
        ("list.dr_ha_standby.standby", 1),
        ("list.dr_managed_vm.vms", 3),
        ("list.dr_test_schedule.tests", 1),
        ("list.dr_security_group_rule.rules", rules.len()),
    ] {
        assert_eq!(
            query_results(&messages, address).len(),
            count,
            "{address}: {messages:?}"
        );
    }
    let mut generate = vars.clone();
    generate.push("-generate-config-out=generated.tf");
    adopter.query_json(&generate);
    let generated =
        std::fs::read_to_string(adopter.path().join("generated.tf")).expect("generated.tf");
    let listed = 1 + 1 + 3 + 1 + rules.len();
    assert_eq!(generated.matches("import {").count(), listed, "{generated}");
    assert!(generated.contains("identity = {"), "{generated}");
    for never in ["protection_state", "next_run", "crn ", "location_id"] {
        assert!(
            !generated
                .lines()
                .any(|l| l.trim_start().starts_with(never) && !l.contains("null")),
            "{never} written:\n{generated}"
        );
    }
    let with_password = supply_password(&generated);
    adopter.write("generated.tf", &with_password);
    let plan = adopter.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
    assert_eq!(plan.code, 2, "{}\n{with_password}", plan.combined());
    assert!(
        plan.stdout.contains(&format!(
            "Plan: {listed} to import, 0 to add, 0 to change, 0 to destroy."
        )),
        "{}\n{with_password}",
        plan.combined()
    );
    sim.reset_requests();
    adopter.apply();
    assert_eq!(writes(&sim), (0, vec![]), "adopting changed nothing");
    adopter.assert_plan_empty();
    // The owner's own plan is still empty: both directories see the same objects.
    owner.assert_plan_empty();
}

#[test]
fn query_import_blocks_by_identity_for_every_type() {
    let Some((sim, owner, orchestrator)) = applied_on_terraform(12, "resource identity") else {
        return;
    };
    let value = |address: &str, attribute: &str| -> String {
        owner.resource_values(address).unwrap()[attribute]
            .as_str()
            .unwrap()
            .to_string()
    };

    // Stored identities, as `terraform show -json` reports them.
    assert_eq!(
        owner.resource_identity("dr_orchestrator.main"),
        Some(json!({"id": orchestrator}))
    );
    assert_eq!(
        owner.resource_identity("dr_ha_standby.standby"),
        Some(json!({"orchestrator_id": orchestrator}))
    );
    let aix = sim.vm_id("aix-app-01");
    assert_eq!(
        owner.resource_identity("dr_managed_vm.app"),
        Some(json!({"orchestrator_id": orchestrator, "pvm_instance_id": aix}))
    );
    let schedule = value("dr_test_schedule.weekly", "schedule_id");
    assert_eq!(
        owner.resource_identity("dr_test_schedule.weekly"),
        Some(json!({"orchestrator_id": orchestrator, "schedule_id": schedule}))
    );
    let sg = security_group_id(&sim);
    let rule = value("dr_security_group_rule.ssh", "rule_id");
    assert_eq!(
        owner.resource_identity("dr_security_group_rule.ssh"),
        Some(json!({"security_group_id": sg, "rule_id": rule}))
    );
    assert_eq!(
        owner.resource_json("dr_managed_vm.app").unwrap()["identity_schema_version"],
        0
    );

    // A second directory with the same configuration adopts every object by identity; the
    // orchestrator's id is a literal there, as a user who adopts would write it.
    let adopter = sim.workdir();
    let config = adopted_setup(&sim, &orchestrator);
    let import = |to: &str, identity: &[(&str, &str)]| -> String {
        let fields: String = identity
            .iter()
            .map(|(k, v)| format!("    {k} = {v:?}\n"))
            .collect();
        format!("\nimport {{\n  to = {to}\n  identity = {{\n{fields}  }}\n}}\n")
    };
    let imports = [
        import("dr_orchestrator.main", &[("id", &orchestrator)]),
        import(
            "dr_ha_standby.standby",
            &[("orchestrator_id", &orchestrator)],
        ),
        import(
            "dr_managed_vm.app",
            &[
                ("orchestrator_id", &orchestrator),
                ("pvm_instance_id", &aix),
            ],
        ),
        import(
            "dr_managed_vm.web",
            &[
                ("orchestrator_id", &orchestrator),
                ("pvm_instance_id", &sim.vm_id("rhel-web-01")),
            ],
        ),
        import(
            "dr_managed_vm.db",
            &[
                ("orchestrator_id", &orchestrator),
                ("pvm_instance_id", &sim.vm_id("ibmi-db-01")),
            ],
        ),
        import(
            "dr_test_schedule.weekly",
            &[
                ("orchestrator_id", &orchestrator),
                ("schedule_id", &schedule),
            ],
        ),
        import(
            "dr_security_group_rule.ssh",
            &[("security_group_id", &sg), ("rule_id", &rule)],
        ),
        import(
            "dr_security_group_rule.ntp",
            &[
                ("security_group_id", &sg),
                ("rule_id", &value("dr_security_group_rule.ntp", "rule_id")),
            ],
        ),
    ]
    .concat();
    adopter.config(&(config + &imports));
    adopter.assert_plan_imports_only(8);
    sim.reset_requests();
    adopter.apply();
    assert_eq!(writes(&sim), (0, vec![]), "adopting changed nothing");
    adopter.assert_plan_empty();
    assert_eq!(
        adopter.resource_identity("dr_managed_vm.app"),
        owner.resource_identity("dr_managed_vm.app")
    );

    // An identity naming no object says which.
    let wrong = sim.workdir();
    wrong.config(
        &(adopted_setup(&sim, &orchestrator)
            + &import(
                "dr_managed_vm.app",
                &[
                    ("orchestrator_id", &orchestrator),
                    ("pvm_instance_id", "00000000-0000-4000-8000-00000000dead"),
                ],
            )),
    );
    wrong.plan_expect_error("00000000-0000-4000-8000-00000000dead");

    // State written before the provider had identities (or by Terraform before 1.12) has
    // none: a refresh fills them in, with no change planned.
    let path = owner.path().join("terraform.tfstate");
    let mut state: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for resource in state["resources"].as_array_mut().unwrap() {
        for instance in resource["instances"].as_array_mut().unwrap() {
            let instance = instance.as_object_mut().unwrap();
            instance.remove("identity");
            instance.remove("identity_schema_version");
        }
    }
    state["serial"] = json!(state["serial"].as_u64().unwrap() + 1);
    std::fs::write(&path, serde_json::to_vec_pretty(&state).unwrap()).unwrap();
    assert_eq!(owner.resource_identity("dr_managed_vm.app"), None);
    owner.assert_plan_empty();
    owner.run_ok(&[
        "apply",
        "-refresh-only",
        "-auto-approve",
        "-input=false",
        "-no-color",
    ]);
    assert_eq!(
        owner.resource_identity("dr_managed_vm.app"),
        Some(json!({"orchestrator_id": orchestrator, "pvm_instance_id": aix}))
    );
    assert_eq!(
        owner.resource_identity("dr_test_schedule.weekly"),
        Some(json!({"orchestrator_id": orchestrator, "schedule_id": schedule}))
    );
}

#[test]
fn query_managed_vms_needs_orchestrator_access_and_valid_config() {
    let Some((sim, _owner, orchestrator)) = applied_on_terraform(14, "terraform query") else {
        return;
    };

    let no_ssh = sim.workdir_without_ssh();
    no_ssh.config(PROVIDER_HEADER);
    no_ssh.write(
        "vms.tfquery.hcl",
        &format!(
            "list \"dr_managed_vm\" \"vms\" {{\n  provider = dr\n  config {{\n    orchestrator_id = \"{orchestrator}\"\n  }}\n}}\n"
        ),
    );
    let out = no_ssh.expect_error(&["query", "-no-color"], "orchestrator_ssh");
    let text = acctests::unwrap_diagnostics(&out.combined());
    assert!(
        text.contains("list \"dr_managed_vm\""),
        "says what needs the access: {text}"
    );

    let bad = sim.workdir();
    bad.config(PROVIDER_HEADER);
    bad.write(
        "bad.tfquery.hcl",
        "list \"dr_security_group_rule\" \"r\" {\n  provider = dr\n  config {\n    security_group_id = \"\"\n  }\n}\n",
    );
    bad.expect_error(&["query", "-no-color"], "Empty security_group_id");
    bad.write(
        "bad.tfquery.hcl",
        "list \"dr_managed_vm\" \"v\" {\n  provider = dr\n  config {\n    orchestrator_id = \"00000000-0000-4000-8000-00000000dead\"\n  }\n}\n",
    );
    bad.expect_error(&["query", "-no-color"], "Orchestrator not found");
}
