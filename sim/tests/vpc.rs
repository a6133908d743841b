//! VPC API behaviour of dr-cloudsim: mandatory query parameters, the VPC error body,
//! pagination, security groups and every rule protocol variant, subnets and prefixes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Api;

use dr_cloudsim::SimConfig;
use serde_json::{Value, json};

const Q: &str = "version=2026-03-24&generation=2";

async fn vpc() -> Api {
    Api::start(SimConfig::default(), "/vpc/v1", Q).await
}

async fn group_named(v: &Api, name: &str) -> Value {
    let (_, list) = v.get("/security_groups").await;
    common::find_by(&list["security_groups"], "name", name)
        .cloned()
        .expect("group exists")
}

fn assert_vpc_error(body: &Value, status: u16, code: &str) {
    assert_eq!(body["status_code"], status, "{body}");
    assert_eq!(body["errors"][0]["code"], code, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert_eq!(body["trace"].as_str().map(str::len), Some(36), "{body}");
}

#[tokio::test]
async fn version_generation_and_token_are_required() {
    let v = vpc().await;
    let base = format!("{}/vpc/v1/vpcs", v.sim.url());

    let resp = common::authed_get(format!("{base}?generation=2"), &v.token).await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_vpc_error(&body, 400, "invalid_query_parameter");
    assert_eq!(
        body["errors"][0]["target"],
        json!({"name": "version", "type": "query"})
    );

    let resp = common::authed_get(format!("{base}?version=2026-03-24"), &v.token).await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["errors"][0]["target"]["name"], "generation");

    let resp =
        common::authed_get(format!("{base}?version=24-03-2026&generation=2"), &v.token).await;
    assert_eq!(resp.status(), 400);

    let resp = common::plain_get(format!("{base}?{Q}")).await;
    assert_eq!(resp.status(), 401);
    assert_vpc_error(&resp.json().await.unwrap(), 401, "not_authorized");
}

#[tokio::test]
async fn seeded_vpc_lists_with_pagination() {
    let v = vpc().await;
    let (status, vpcs) = v.get("/vpcs").await;
    assert_eq!(status, 200);
    assert_eq!(vpcs["total_count"], 1);
    assert_eq!(vpcs["vpcs"][0]["name"], "slz-edge-vpc");
    let vpc_id = vpcs["vpcs"][0]["id"].as_str().unwrap().to_owned();

    let (_, subnets) = v.get(&format!("/subnets?vpc.id={vpc_id}")).await;
    let cidrs: Vec<&str> = common::texts(&subnets["subnets"], "ipv4_cidr_block");
    assert_eq!(
        cidrs,
        [
            "10.30.10.0/24",
            "10.30.20.0/24",
            "10.30.30.0/24",
            "10.30.40.0/24"
        ]
    );
    assert_eq!(subnets["subnets"][0]["available_ipv4_address_count"], 251);

    // Three groups: the VPC default plus management-sg and network-services-sg.
    let (_, page1) = v.get("/security_groups?limit=2").await;
    assert_eq!(page1["total_count"], 3);
    assert_eq!(page1["limit"], 2);
    assert_eq!(page1["security_groups"].as_array().unwrap().len(), 2);
    let next = page1["next"]["href"]
        .as_str()
        .expect("next link")
        .to_owned();
    assert!(
        next.starts_with(&v.sim.url()),
        "next link stays on the emulator: {next}"
    );
    let resp = common::authed_get(&next, &v.token).await;
    let page2: Value = resp.json().await.unwrap();
    assert_eq!(page2["security_groups"].as_array().unwrap().len(), 1);
    assert!(page2.get("next").is_none());
    let mut names: Vec<String> = page1["security_groups"]
        .as_array()
        .unwrap()
        .iter()
        .chain(page2["security_groups"].as_array().unwrap())
        .map(|g| g["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert!(
        names.contains(&"management-sg".to_owned())
            && names.contains(&"network-services-sg".to_owned())
    );

    let (status, body) = v.get("/security_groups?start=nonsense").await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = v.get("/security_groups?limit=0").await;
    assert_eq!(status, 400);

    let mgmt = group_named(&v, "management-sg").await;
    let rule_names: Vec<&str> = common::texts(&mgmt["rules"], "name");
    assert_eq!(
        rule_names,
        ["allow-pvs-mgmt-inbound", "allow-pvs-bckp-inbound"]
    );
    assert_eq!(
        mgmt["rules"][0]["remote"],
        json!({"cidr_block": "10.51.0.0/24"})
    );
}

#[tokio::test]
async fn every_rule_protocol_variant_round_trips() {
    let v = vpc().await;
    let sg = group_named(&v, "network-services-sg").await;
    let rules = format!("/security_groups/{}/rules", sg["id"].as_str().unwrap());

    let cases = [
        (
            json!({"direction": "inbound", "protocol": "tcp", "port_min": 22, "port_max": 22, "remote": {"cidr_block": "10.61.0.0/24"}, "name": "ssh-from-standby"}),
            json!({"port_min": 22, "port_max": 22}),
        ),
        (
            json!({"direction": "inbound", "protocol": "udp"}),
            json!({"port_min": 1, "port_max": 65535}),
        ),
        (
            json!({"direction": "inbound", "protocol": "icmp", "type": 8, "code": 0}),
            json!({"type": 8, "code": 0}),
        ),
        (
            json!({"direction": "outbound", "protocol": "icmp_tcp_udp", "remote": {"address": "10.51.0.5"}}),
            json!({"remote": {"address": "10.51.0.5"}}),
        ),
        (
            json!({"direction": "outbound", "protocol": "any", "local": {"cidr_block": "10.30.20.0/24"}}),
            json!({"local": {"cidr_block": "10.30.20.0/24"}}),
        ),
        (
            json!({"direction": "inbound", "protocol": "gre"}),
            json!({"protocol": "gre"}),
        ),
        (
            json!({"direction": "inbound", "protocol": "number_99"}),
            json!({"protocol": "number_99"}),
        ),
        (
            json!({"direction": "inbound", "protocol": "all"}),
            json!({"protocol": "any"}),
        ),
    ];
    for (prototype, expected) in cases {
        let (status, rule) = v.post(&rules, prototype.clone()).await;
        assert_eq!(status, 201, "{prototype} -> {rule}");
        assert_eq!(rule["resource_type"], "security_group_rule");
        assert_eq!(rule["ip_version"], "ipv4");
        assert!(
            rule["href"]
                .as_str()
                .unwrap()
                .ends_with(rule["id"].as_str().unwrap())
        );
        for (k, want) in expected.as_object().unwrap() {
            assert_eq!(&rule[k], want, "{k} of {rule}");
        }
        if prototype.get("remote").is_none() {
            assert_eq!(rule["remote"], json!({"cidr_block": "0.0.0.0/0"}));
        }
        let (status, fetched) = v
            .get(&format!("{rules}/{}", rule["id"].as_str().unwrap()))
            .await;
        assert_eq!((status, &fetched), (200, &rule));
    }
    let (_, listed) = v.get(&rules).await;
    assert_eq!(listed["rules"].as_array().unwrap().len(), 8);

    let rejected = [
        (
            json!({"direction": "inbound", "protocol": "tcp", "type": 8}),
            "invalid_value",
        ),
        (
            json!({"direction": "inbound", "protocol": "tcp", "port_min": 90, "port_max": 80}),
            "invalid_value",
        ),
        (
            json!({"direction": "inbound", "protocol": "tcp", "port_min": 90}),
            "missing_field",
        ),
        (
            json!({"direction": "inbound", "protocol": "icmp", "code": 1}),
            "missing_field",
        ),
        (
            json!({"direction": "inbound", "protocol": "icmp", "type": 255}),
            "invalid_value",
        ),
        (
            json!({"direction": "inbound", "protocol": "udp", "port_min": 0, "port_max": 10}),
            "invalid_value",
        ),
        (
            json!({"direction": "sideways", "protocol": "tcp"}),
            "invalid_value",
        ),
        (
            json!({"direction": "inbound", "protocol": "http"}),
            "invalid_value",
        ),
        (json!({"protocol": "tcp"}), "missing_field"),
        (
            json!({"direction": "inbound", "protocol": "tcp", "remote": {"cidr_block": "10.0.0.1/8"}}),
            "invalid_value",
        ),
        (
            json!({"direction": "inbound", "protocol": "tcp", "name": "Bad_Name"}),
            "validation_invalid_name",
        ),
    ];
    for (prototype, code) in rejected {
        let (status, body) = v.post(&rules, prototype.clone()).await;
        assert_eq!(status, 400, "{prototype} -> {body}");
        assert_vpc_error(&body, 400, code);
    }
    let (status, body) = v
        .post(
            &rules,
            json!({"direction": "inbound", "protocol": "tcp", "name": "ssh-from-standby"}),
        )
        .await;
    assert_eq!(status, 409, "names are unique per group");
    assert_vpc_error(&body, 409, "validation_unique_failed");
}

#[tokio::test]
async fn rules_patch_remote_groups_and_delete() {
    let v = vpc().await;
    let mgmt = group_named(&v, "management-sg").await;
    let sg_id = mgmt["id"].as_str().unwrap();
    let rule_id = mgmt["rules"][0]["id"].as_str().unwrap();
    let path = format!("/security_groups/{sg_id}/rules/{rule_id}");

    let (status, patched) = v
        .patch(
            &path,
            json!({"port_min": 22, "port_max": 23, "remote": {"cidr_block": "10.61.0.0/24"}}),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(
        (
            patched["port_max"].clone(),
            patched["remote"]["cidr_block"].clone()
        ),
        (json!(23), json!("10.61.0.0/24"))
    );
    assert_eq!(patched["name"], "allow-pvs-mgmt-inbound");
    let (status, body) = v.patch(&path, json!({"protocol": "udp"})).await;
    assert_eq!(status, 400, "protocol is immutable: {body}");
    let (status, _) = v.patch(&path, json!({"type": 3})).await;
    assert_eq!(status, 400, "icmp fields on a tcp rule");
    let (status, _) = v
        .patch(&path, json!({"name": "allow-pvs-bckp-inbound"}))
        .await;
    assert_eq!(status, 409);

    // A rule whose remote is another group of the same VPC shows that group's reference.
    let other = group_named(&v, "network-services-sg").await;
    let (status, rule) = v
        .post(
            &format!("/security_groups/{sg_id}/rules"),
            json!({"direction": "inbound", "protocol": "any", "remote": {"id": other["id"]}}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(rule["remote"]["name"], "network-services-sg");
    assert_eq!(rule["remote"]["crn"], other["crn"]);
    let (status, body) = v
        .delete(&format!(
            "/security_groups/{}",
            other["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 409, "a group used as a remote cannot go: {body}");

    let (status, _) = v.delete(&path).await;
    assert_eq!(status, 204);
    let (status, body) = v.get(&path).await;
    assert_eq!(status, 404);
    assert_vpc_error(&body, 404, "not_found");
}

#[tokio::test]
async fn groups_subnets_and_prefixes_follow_vpc_rules() {
    let v = vpc().await;
    let (status, vpc) = v.post("/vpcs", json!({"name": "dr-test-vpc"})).await;
    assert_eq!(status, 201, "{vpc}");
    assert_eq!(vpc["status"], "available");
    let vpc_id = vpc["id"].as_str().unwrap().to_owned();
    let (status, _) = v.post("/vpcs", json!({"name": "dr-test-vpc"})).await;
    assert_eq!(status, 409);

    // Automatic address prefixes, one per zone, and a default security group.
    let (_, prefixes) = v.get(&format!("/vpcs/{vpc_id}/address_prefixes")).await;
    assert_eq!(prefixes["address_prefixes"].as_array().unwrap().len(), 3);
    assert_eq!(prefixes["address_prefixes"][0]["is_default"], true);
    let default_sg = vpc["default_security_group"]["id"].as_str().unwrap();
    let (status, body) = v.delete(&format!("/security_groups/{default_sg}")).await;
    assert_eq!(status, 409, "{body}");

    let (status, body) = v
        .post("/subnets", json!({"vpc": {"id": vpc_id}, "zone": {"name": "us-south-1"}, "ipv4_cidr_block": "172.16.0.0/24", "name": "outside"}))
        .await;
    assert_eq!(
        status, 400,
        "a subnet must sit inside an address prefix: {body}"
    );
    let (status, prefix) = v
        .post(
            &format!("/vpcs/{vpc_id}/address_prefixes"),
            json!({"cidr": "172.16.0.0/16", "zone": {"name": "us-south-1"}, "name": "dr-prefix"}),
        )
        .await;
    assert_eq!(status, 201, "{prefix}");
    let (status, _) = v
        .post(
            &format!("/vpcs/{vpc_id}/address_prefixes"),
            json!({"cidr": "172.16.8.0/24", "zone": {"name": "us-south-1"}}),
        )
        .await;
    assert_eq!(status, 409, "prefixes of one VPC cannot overlap");
    let (status, subnet) = v
        .post("/subnets", json!({"vpc": {"id": vpc_id}, "zone": {"name": "us-south-1"}, "ipv4_cidr_block": "172.16.0.0/24", "name": "inside"}))
        .await;
    assert_eq!(status, 201, "{subnet}");
    assert_eq!(subnet["vpc"]["name"], "dr-test-vpc");
    let (status, _) = v
        .post("/subnets", json!({"vpc": {"id": vpc_id}, "zone": {"name": "us-south-1"}, "ipv4_cidr_block": "172.16.0.128/25"}))
        .await;
    assert_eq!(status, 409, "subnets cannot overlap");
    let (status, auto) = v.post("/subnets", json!({"vpc": {"id": vpc_id}, "zone": {"name": "us-south-1"}, "total_ipv4_address_count": 64})).await;
    assert_eq!(status, 201, "{auto}");
    assert_eq!(auto["ipv4_cidr_block"], "10.240.0.0/26");
    let (_, prefix_now) = v
        .get(&format!(
            "/vpcs/{vpc_id}/address_prefixes/{}",
            prefix["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(prefix_now["has_subnets"], true);

    let (status, sg) = v.post("/security_groups", json!({"vpc": {"id": vpc_id}, "name": "dr-sg", "rules": [{"direction": "inbound", "protocol": "tcp", "port_min": 443, "port_max": 443}]})).await;
    assert_eq!(status, 201, "{sg}");
    assert_eq!(sg["rules"].as_array().unwrap().len(), 1);
    let (status, _) = v
        .post(
            "/security_groups",
            json!({"vpc": {"id": vpc_id}, "name": "dr-sg"}),
        )
        .await;
    assert_eq!(status, 409);
    let (status, body) = v.post("/security_groups", json!({"vpc": {"id": vpc_id}, "name": "bad-rules", "rules": [{"direction": "inbound", "protocol": "tcp", "code": 1}]})).await;
    assert_eq!(status, 400, "{body}");
    let (status, renamed) = v
        .patch(
            &format!("/security_groups/{}", sg["id"].as_str().unwrap()),
            json!({"name": "dr-sg-renamed"}),
        )
        .await;
    assert_eq!(
        (status, renamed["name"].as_str()),
        (200, Some("dr-sg-renamed"))
    );

    let (status, _) = v.delete(&format!("/vpcs/{vpc_id}")).await;
    assert_eq!(status, 409, "a VPC with subnets cannot be deleted");
    for id in [subnet["id"].as_str().unwrap(), auto["id"].as_str().unwrap()] {
        assert_eq!(v.delete(&format!("/subnets/{id}")).await.0, 204);
    }
    assert_eq!(
        v.delete(&format!("/security_groups/{}", sg["id"].as_str().unwrap()))
            .await
            .0,
        204
    );
    assert_eq!(v.delete(&format!("/vpcs/{vpc_id}")).await.0, 204);
    assert_eq!(v.get(&format!("/vpcs/{vpc_id}")).await.0, 404);
    assert_eq!(
        v.get(&format!("/security_groups/{default_sg}")).await.0,
        404
    );
}

#[tokio::test]
async fn a_write_whose_answer_is_lost_is_kept() {
    let v = vpc().await;
    let sg = group_named(&v, "network-services-sg").await;
    let rules = format!("/security_groups/{}/rules", sg["id"].as_str().unwrap());
    let (_, before) = v.get(&rules).await;
    let before = before["rules"].as_array().unwrap().len();
    let r = common::client()
        .post(format!("{}/_sim/faults", v.sim.url()))
        .json(
            &json!({"rules": [{"path_prefix": "/vpc/v1/security_groups", "methods": ["POST"],
                                 "status": 504, "after_handler": true}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let prototype = json!({"direction": "inbound", "protocol": "tcp", "port_min": 2049,
                           "port_max": 2049, "remote": {"cidr_block": "10.62.0.0/24"}});
    let (status, body) = v.post(&rules, prototype).await;
    assert_eq!(status, 504, "the client sees the failure: {body}");
    assert_vpc_error(
        &body,
        504,
        body["errors"][0]["code"].as_str().unwrap_or_default(),
    );
    let (_, after) = v.get(&rules).await;
    let after = after["rules"].as_array().unwrap();
    assert_eq!(after.len(), before + 1, "but the rule was written");
    assert!(after.iter().any(|r| r["port_min"] == 2049));
}
