//! Acceptance tests of `dr_security_group_rule` with real Terraform against dr-cloudsim:
//! create, empty re-plan, import-verify, in-place update, attribute drift (a port range edited
//! out of band), replacement, deletion drift and destroy-verify; every protocol variant; rules
//! fanned out over a workspace's subnets in one group at parallelism 10 (serialized per
//! group); the pre-existing identical rule; and every validation error with zero mutating
//! requests.
//!
//! Needs `cargo build --workspace --bins` first.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use acctests::fixtures::{PRIMARY, PROVIDER_HEADER, security_group_rule, single_port};
use acctests::sim::Sim;
use serde_json::{Value, json};

/// Every write except IAM token requests (a token is fetched with a POST, but changes nothing).
fn group<'a>(groups: &'a [Value], name_part: &str) -> &'a Value {
    groups
        .iter()
        .find(|g| g["name"].as_str().is_some_and(|n| n.contains(name_part)))
        .unwrap_or_else(|| panic!("no security group named like {name_part}: {groups:?}"))
}

fn group_id(sim: &Sim, name_part: &str) -> String {
    let groups = sim.objects("vpc", "security_groups");
    group(&groups, name_part)["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn rules_of(sim: &Sim, group_id: &str) -> Vec<Value> {
    let groups = sim.objects("vpc", "security_groups");
    let g = groups
        .iter()
        .find(|g| g["id"] == group_id)
        .expect("group exists");
    g["rules"].as_array().cloned().unwrap_or_default()
}

/// The provider header and `dr_security_group_rule.ssh` named `name` into `sg`: `protocol`
/// on `port` for tcp and udp, without ports for the others.
fn ssh_rule(sg: &str, port: u16, name: &str, protocol: &str) -> String {
    let rule = security_group_rule("ssh", sg, "10.61.0.0/24");
    let rule = if protocol == "tcp" || protocol == "udp" {
        single_port(rule, protocol, port)
    } else {
        rule.string("protocol", protocol)
    };
    let rule = rule.string("name", name);
    format!("{PROVIDER_HEADER}{rule}")
}

#[test]
fn security_group_rule_lifecycle() {
    let sim = Sim::start(100.0);
    let wd = sim.workdir();
    let sg = group_id(&sim, "network-services");
    let address = "dr_security_group_rule.ssh";

    wd.config(&ssh_rule(&sg, 22, "allow-ssh", "tcp"));
    wd.apply();
    wd.assert_plan_empty();
    let v = wd.resource_values(address).expect("in state");
    let rule_id = v["rule_id"].as_str().unwrap().to_string();
    assert_eq!(v["id"], format!("{sg}/{rule_id}"));
    assert_eq!(v["local_cidr"], "0.0.0.0/0", "default applied");
    let rules = rules_of(&sim, &sg);
    let stored = rules
        .iter()
        .find(|r| r["id"] == rule_id.as_str())
        .expect("rule in the cloud");
    assert_eq!(
        (
            &stored["protocol"],
            &stored["port_min"],
            &stored["remote"]["cidr_block"]
        ),
        (&json!("tcp"), &json!(22), &json!("10.61.0.0/24"))
    );

    wd.import_verify(address, &format!("{sg}/{rule_id}"), &[]);

    // Ports and name change in place: same rule id.
    wd.config(&ssh_rule(&sg, 2222, "allow-ssh-alt", "tcp"));
    wd.assert_plan_mentions(&["update in-place"]);
    wd.apply();
    wd.assert_plan_empty();
    let v = wd.resource_values(address).expect("in state");
    assert_eq!(v["rule_id"], rule_id.as_str(), "patched, not replaced");
    assert_eq!(
        (v["port_min"].as_i64(), v["name"].as_str()),
        (Some(2222), Some("allow-ssh-alt"))
    );

    // Attribute drift: the port range edited by hand in the cloud; the plan puts it back in
    // place, on the same rule.
    let edited: Vec<Value> = rules_of(&sim, &sg)
        .into_iter()
        .map(|mut r| {
            if r["id"] == rule_id.as_str() {
                r["port_min"] = json!(2200);
                r["port_max"] = json!(2299);
            }
            r
        })
        .collect();
    sim.patch_object("vpc", "security_groups", &sg, json!({ "rules": edited }));
    wd.assert_plan_mentions(&[
        "update in-place",
        "2200 -> 2222",
        "2299 -> 2222",
        "Plan: 0 to add, 1 to change, 0 to destroy",
    ]);
    wd.apply();
    wd.assert_plan_empty();
    let stored = rules_of(&sim, &sg)
        .into_iter()
        .find(|r| r["id"] == rule_id.as_str())
        .expect("the same rule");
    assert_eq!(
        (&stored["port_min"], &stored["port_max"]),
        (&json!(2222), &json!(2222))
    );

    // A protocol change replaces the rule.
    wd.config(&ssh_rule(&sg, 0, "allow-ssh-alt", "icmp_tcp_udp"));
    wd.assert_plan_mentions(&["forces replacement"]);
    wd.apply();
    wd.assert_plan_empty();
    let v = wd.resource_values(address).expect("in state");
    let new_id = v["rule_id"].as_str().unwrap().to_string();
    assert_ne!(new_id, rule_id);
    let ids: Vec<Value> = rules_of(&sim, &sg)
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    assert!(
        !ids.contains(&json!(rule_id)),
        "the old rule is gone: {ids:?}"
    );
    assert!(ids.contains(&json!(new_id)));

    // Out-of-band deletion: refresh drops it, the plan re-creates it.
    let remaining: Vec<Value> = rules_of(&sim, &sg)
        .into_iter()
        .filter(|r| r["id"] != new_id.as_str())
        .collect();
    sim.patch_object("vpc", "security_groups", &sg, json!({ "rules": remaining }));
    wd.assert_plan_mentions(&[
        "dr_security_group_rule.ssh will be created",
        "Plan: 1 to add, 0 to change, 0 to destroy",
    ]);
    wd.apply();
    wd.assert_plan_empty();
    let recreated = wd.resource_values(address).expect("in state")["rule_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(recreated, new_id);
    assert_eq!(
        rules_of(&sim, &sg)
            .iter()
            .filter(|r| r["name"] == "allow-ssh-alt")
            .map(|r| r["id"].clone())
            .collect::<Vec<_>>(),
        vec![json!(recreated)],
        "exactly one rule, the re-created one"
    );

    wd.destroy();
    assert!(wd.resource_values(address).is_none());
    assert!(
        rules_of(&sim, &sg)
            .iter()
            .all(|r| r["name"] != "allow-ssh-alt"),
        "destroy removed the rule"
    );
}

#[test]
fn security_group_rule_every_protocol_and_subnet_fan_out() {
    let sim = Sim::start(100.0);
    let wd = sim.workdir();
    let sg = group_id(&sim, "network-services");
    let primary = sim.workspace_id(PRIMARY);
    wd.config(&format!(
        r#"{PROVIDER_HEADER}
data "dr_workspace_subnets" "primary" {{
  workspace_id = "{primary}"
}}

# One rule per protocol variant per subnet, all in one group, written at parallelism 10.
locals {{
  protocols = {{
    tcp          = {{ protocol = "tcp", port_min = 443, port_max = 443, icmp_type = null, icmp_code = null }}
    udp          = {{ protocol = "udp", port_min = null, port_max = null, icmp_type = null, icmp_code = null }}
    icmp         = {{ protocol = "icmp", port_min = null, port_max = null, icmp_type = 8, icmp_code = 0 }}
    icmp_tcp_udp = {{ protocol = "icmp_tcp_udp", port_min = null, port_max = null, icmp_type = null, icmp_code = null }}
    any          = {{ protocol = "any", port_min = null, port_max = null, icmp_type = null, icmp_code = null }}
  }}
  rules = merge([
    for subnet, cidr in data.dr_workspace_subnets.primary.cidr_by_name : {{
      for key, p in local.protocols : "${{subnet}}-${{key}}" => merge(p, {{ cidr = cidr }})
    }}
  ]...)
}}

resource "dr_security_group_rule" "pvs" {{
  for_each          = local.rules
  security_group_id = "{sg}"
  direction         = "outbound"
  remote_cidr       = each.value.cidr
  protocol          = each.value.protocol
  port_min          = each.value.port_min
  port_max          = each.value.port_max
  icmp_type         = each.value.icmp_type
  icmp_code         = each.value.icmp_code
}}

output "count" {{
  value = length(dr_security_group_rule.pvs)
}}
"#
    ));
    wd.apply_args(&["-parallelism=10"]);
    wd.assert_plan_empty();
    let state = wd.state_json();
    assert_eq!(
        state.pointer("/values/outputs/count/value"),
        Some(&json!(10))
    );
    let rules = rules_of(&sim, &sg);
    let ours: Vec<&Value> = rules
        .iter()
        .filter(|r| r["direction"] == "outbound" && r["remote"]["cidr_block"].is_string())
        .collect();
    assert_eq!(ours.len(), 10, "{rules:#?}");
    let mut protocols: Vec<&str> = ours
        .iter()
        .map(|r| r["protocol"].as_str().unwrap())
        .collect();
    protocols.sort_unstable();
    protocols.dedup();
    assert_eq!(protocols, ["any", "icmp", "icmp_tcp_udp", "tcp", "udp"]);
    let icmp = ours.iter().find(|r| r["protocol"] == "icmp").unwrap();
    assert_eq!((&icmp["type"], &icmp["code"]), (&json!(8), &json!(0)));
    let udp = ours.iter().find(|r| r["protocol"] == "udp").unwrap();
    assert_eq!(
        (&udp["port_min"], &udp["port_max"]),
        (&json!(1), &json!(65535)),
        "all ports"
    );
    let v = wd
        .resource_values("dr_security_group_rule.pvs[\"mgmt_net-udp\"]")
        .expect("in state");
    assert_eq!(v["port_min"], Value::Null, "all ports stay null in state");
    assert_eq!(v["remote_cidr"], "10.51.0.0/24");

    wd.destroy_args(&["-parallelism=10"]);
    let left = rules_of(&sim, &sg);
    assert!(
        left.iter().all(|r| !r["remote"]["cidr_block"].is_string()),
        "{left:#?}"
    );
}

#[test]
fn security_group_rule_errors_change_nothing() {
    let sim = Sim::start(100.0);
    let wd = sim.workdir();
    let sg = group_id(&sim, "network-services");
    let mgmt = group_id(&sim, "management-sg");
    let rule = |body: &str| {
        format!(
            r#"{PROVIDER_HEADER}
resource "dr_security_group_rule" "bad" {{
  security_group_id = "{sg}"
  direction         = "inbound"
{body}
}}
"#
        )
    };
    let cases: Vec<(String, &str)> = vec![
        (
            rule("  port_min = 22\n  port_max = 22"),
            r#"port_min is only allowed with protocol "tcp" or "udp"; this rule's protocol is "any""#,
        ),
        (
            rule("  protocol = \"icmp\"\n  port_min = 22\n  port_max = 22"),
            r#"port_max is only allowed with protocol "tcp" or "udp""#,
        ),
        (
            rule("  protocol = \"tcp\"\n  port_min = 0\n  port_max = 22"),
            r"port_min must be between 1 and 65535, got 0",
        ),
        (
            rule("  protocol = \"tcp\"\n  port_min = 22\n  port_max = 65536"),
            r"port_max must be between 1 and 65535, got 65536",
        ),
        (
            rule("  protocol = \"tcp\"\n  port_min = 90\n  port_max = 80"),
            r"port_min \(90\) must be less than or equal to port_max \(80\)",
        ),
        (
            rule("  protocol = \"tcp\"\n  port_min = 80"),
            r"port_max is required with port_min",
        ),
        (
            rule("  protocol = \"icmp\"\n  icmp_type = 255"),
            r"icmp_type must be between 0 and 254, got 255",
        ),
        (
            rule("  protocol = \"icmp\"\n  icmp_type = 8\n  icmp_code = 256"),
            r"icmp_code must be between 0 and 255, got 256",
        ),
        (
            rule("  protocol = \"icmp\"\n  icmp_code = 0"),
            r"icmp_code needs icmp_type",
        ),
        (
            rule("  protocol = \"udp\"\n  icmp_type = 8"),
            r#"icmp_type is only allowed with protocol "icmp""#,
        ),
        (
            rule("  remote_cidr = \"10.51.0.7/24\""),
            r#"Write "10.51.0.0/24" instead"#,
        ),
        (
            rule("  local_cidr = \"10.30.20.1\""),
            r#"for this one address write "10.30.20.1/32""#,
        ),
        (rule("  remote_cidr = \"fd00::/64\""), r"IPv4 only"),
        (
            rule("  protocol = \"gre\""),
            r#"protocol value must be one of"#,
        ),
        (
            format!(
                "{PROVIDER_HEADER}\nresource \"dr_security_group_rule\" \"bad\" {{\n  security_group_id = \"{sg}\"\n  direction = \"sideways\"\n}}\n"
            ),
            r#"direction value must be one of: \["inbound", "outbound"\]"#,
        ),
        // Plan-time checks against the cloud (still no writes).
        (
            format!(
                "{PROVIDER_HEADER}\nresource \"dr_security_group_rule\" \"bad\" {{\n  security_group_id = \"r006-no-such-group\"\n  direction = \"inbound\"\n}}\n"
            ),
            r#"No VPC security group has the id "r006-no-such-group""#,
        ),
        (
            format!(
                r#"{PROVIDER_HEADER}
resource "dr_security_group_rule" "dup" {{
  security_group_id = "{mgmt}"
  direction         = "inbound"
  remote_cidr       = "10.51.0.0/24"
  protocol          = "tcp"
  port_min          = 22
  port_max          = 22
}}
"#
            ),
            r"Identical security group rule already exists.*terraform import dr_security_group_rule.<name> r006-",
        ),
    ];
    sim.reset_requests();
    for (config, pattern) in &cases {
        wd.config(config);
        let out = wd.plan_expect_error(pattern);
        // Terraform shows the attribute the error is about.
        if !pattern.contains("Identical") && !pattern.contains("No VPC") {
            assert!(
                out.combined().contains("on main.tf line"),
                "{}",
                out.combined()
            );
        }
    }
    assert_eq!(sim.cloud_writes(), 0, "{}", sim.requests());
    // The duplicate is refused at apply too, before any write.
    wd.config(&cases.last().unwrap().0);
    wd.apply_expect_error(r"Identical security group rule already exists");
    assert_eq!(sim.cloud_writes(), 0, "{}", sim.requests());
}
