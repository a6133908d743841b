//! PowerVS subnets (`/pcloud/v1/cloud-instances/{cid}/networks`): private `vlan` and public
//! `pub-vlan` networks with CIDR, gateway, IP ranges and DNS servers, and the IP address
//! bookkeeping that PVM instances draw their addresses from.

use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use ipnet::Ipv4Net;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use super::{
    NETWORKS, OWNER, PVM_INSTANCES, PowerBody, PowerCall, PowerError, PowerResult, SERVICE,
    find_in_workspace, in_workspace,
};
use crate::scenario::NetworkSpec;
use crate::store::{World, public_view};

/// `crn:...:<guid>::` of a workspace -> `crn:...:<guid>:<type>:<id>` of something in it.
pub fn sub_crn(workspace_crn: &str, resource_type: &str, id: &str) -> String {
    let base = workspace_crn.strip_suffix("::").unwrap_or(workspace_crn);
    format!("{base}:{resource_type}:{id}")
}

fn workspace_crn(world: &World, guid: &str) -> String {
    world
        .get(SERVICE, super::WORKSPACES, guid)
        .and_then(|w| w["details"]["crn"].as_str())
        .unwrap_or_default()
        .to_owned()
}

fn ip(value: &Value) -> Option<Ipv4Addr> {
    value.as_str()?.parse().ok()
}

fn is_private(net: &Ipv4Net) -> bool {
    ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
        .iter()
        .filter_map(|p| p.parse::<Ipv4Net>().ok())
        .any(|p| p.contains(net))
}

/// Usable host addresses of a range (inclusive).
fn range_size(range: &Value) -> u64 {
    match (
        ip(&range["startingIPAddress"]),
        ip(&range["endingIPAddress"]),
    ) {
        (Some(start), Some(end)) if u32::from(start) <= u32::from(end) => {
            u64::from(u32::from(end) - u32::from(start)) + 1
        }
        _ => 0,
    }
}

/// Checks a NetworkCreate body and builds the Network object (without id-dependent fields).
fn build(world: &World, guid: &str, body: &Value, id: &str) -> Result<Value, PowerError> {
    let network_type = body["type"]
        .as_str()
        .ok_or_else(|| PowerError::bad_request("type is required (vlan or pub-vlan)"))?;
    if network_type != "vlan" && network_type != "pub-vlan" {
        return Err(PowerError::bad_request(format!(
            "type {network_type:?} is not valid; valid values: vlan, pub-vlan (dhcp-vlan is for satellite locations only)"
        )));
    }
    let name = match body["name"].as_str() {
        Some(n) => n.to_owned(),
        None => format!("{network_type}-{}", &id[..8]),
    };
    if name.is_empty()
        || name.len() > 128
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ' ')
    {
        return Err(PowerError::bad_request(format!(
            "name {name:?} must be 1 to 128 characters of letters, digits, '-', '_' or ' '"
        )));
    }
    if world
        .find(SERVICE, NETWORKS, |n| {
            n[OWNER] == guid && n["name"] == name.as_str()
        })
        .is_some()
    {
        return Err(PowerError::conflict(format!(
            "a network named {name} already exists in cloud instance {guid}"
        )));
    }
    let cidr: Ipv4Net = match (network_type, body["cidr"].as_str()) {
        (_, Some(text)) => text
            .parse::<Ipv4Net>()
            .map_err(|_| PowerError::bad_request(format!("cidr {text:?} is not an IPv4 CIDR")))?,
        ("vlan", None) => {
            return Err(PowerError::bad_request(
                "cidr is required for vlan networks",
            ));
        }
        // Public subnets come from IBM's pool; a documentation range stands in for it.
        _ => {
            let n = u8::from_str_radix(&id[..2], 16).unwrap_or(0);
            Ipv4Net::new(Ipv4Addr::new(192, 0, 2, n & 0xf8), 29)
                .map_err(|_| PowerError::bad_request("cannot allocate a public subnet"))?
        }
    };
    if cidr.network() != cidr.addr() {
        return Err(PowerError::bad_request(format!(
            "cidr {cidr} has host bits set; did you mean {}?",
            cidr.trunc()
        )));
    }
    if !(8..=30).contains(&cidr.prefix_len()) {
        return Err(PowerError::bad_request(format!(
            "cidr {cidr} must have a prefix length between 8 and 30"
        )));
    }
    if network_type == "vlan" && !is_private(&cidr) {
        return Err(PowerError::bad_request(format!(
            "cidr {cidr} of a private network must be within 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"
        )));
    }
    for other in world.list(SERVICE, NETWORKS).filter(|n| n[OWNER] == guid) {
        if let Some(other_cidr) = other["cidr"]
            .as_str()
            .and_then(|c| c.parse::<Ipv4Net>().ok())
            && (other_cidr.contains(&cidr) || cidr.contains(&other_cidr))
        {
            return Err(PowerError::bad_request(format!(
                "cidr {cidr} overlaps network {} ({other_cidr})",
                other["name"].as_str().unwrap_or_default()
            )));
        }
    }
    let first_host = u32::from(cidr.network()) + 1;
    let last_host = u32::from(cidr.broadcast()) - 1;
    let gateway = match body["gateway"].as_str().filter(|g| !g.is_empty()) {
        Some(text) => {
            let gw: Ipv4Addr = text.parse().map_err(|_| {
                PowerError::bad_request(format!("gateway {text:?} is not an IPv4 address"))
            })?;
            if !(first_host..=last_host).contains(&u32::from(gw)) {
                return Err(PowerError::bad_request(format!(
                    "gateway {gw} is not a host address of {cidr}"
                )));
            }
            gw
        }
        None => Ipv4Addr::from(first_host),
    };
    let ranges = match body["ipAddressRanges"].as_array().filter(|r| !r.is_empty()) {
        Some(given) => {
            let mut ranges = Vec::new();
            for range in given {
                let (Some(start), Some(end)) = (
                    ip(&range["startingIPAddress"]),
                    ip(&range["endingIPAddress"]),
                ) else {
                    return Err(PowerError::bad_request(
                        "each ipAddressRanges item needs startingIPAddress and endingIPAddress",
                    ));
                };
                let inside = |a: Ipv4Addr| (first_host..=last_host).contains(&u32::from(a));
                if !inside(start) || !inside(end) || u32::from(start) > u32::from(end) {
                    return Err(PowerError::bad_request(format!(
                        "ip address range {start}-{end} is not an ordered range of host addresses of {cidr}"
                    )));
                }
                if (u32::from(start)..=u32::from(end)).contains(&u32::from(gateway)) {
                    return Err(PowerError::bad_request(format!(
                        "ip address range {start}-{end} contains the gateway {gateway}"
                    )));
                }
                ranges.push(json!({"startingIPAddress": start.to_string(), "endingIPAddress": end.to_string()}));
            }
            ranges
        }
        None => {
            // Everything but the gateway: the hosts above it (gateway is usually the first).
            let start = if u32::from(gateway) == first_host {
                first_host + 1
            } else {
                first_host
            };
            let end = if u32::from(gateway) == last_host {
                last_host - 1
            } else {
                last_host
            };
            vec![
                json!({"startingIPAddress": Ipv4Addr::from(start).to_string(), "endingIPAddress": Ipv4Addr::from(end).to_string()}),
            ]
        }
    };
    let default_dns = if network_type == "vlan" {
        "127.0.0.1"
    } else {
        "9.9.9.9"
    };
    let dns = body["dnsServers"]
        .as_array()
        .filter(|d| !d.is_empty())
        .cloned()
        .unwrap_or_else(|| vec![json!(default_dns)]);
    let vlan_id = 100 + u32::from_str_radix(&id[..3], 16).unwrap_or(0) % 3900;
    let mut network = json!({
        "networkID": id,
        "name": name,
        "type": network_type,
        "cidr": cidr.to_string(),
        "gateway": gateway.to_string(),
        "ipAddressRanges": ranges,
        "dnsServers": dns,
        "vlanID": vlan_id,
        "jumbo": body["jumbo"].as_bool().unwrap_or(false),
        "mtu": body["mtu"].as_u64().unwrap_or(1450),
        "dhcpManaged": false,
        "advertise": body["advertise"].as_str().unwrap_or("enable"),
        "arpBroadcast": body["arpBroadcast"].as_str().unwrap_or("disable"),
        "crn": sub_crn(&workspace_crn(world, guid), "network", id),
        "userTags": body.get("userTags").cloned().unwrap_or(json!([])),
        OWNER: guid,
    });
    if network_type == "pub-vlan"
        && let Some(obj) = network.as_object_mut()
    {
        obj.insert(
            "publicIPAddressRanges".into(),
            obj["ipAddressRanges"].clone(),
        );
    }
    Ok(network)
}

/// Adds a scenario network (seeding trusts the scenario but still validates it).
pub fn seed_network(world: &mut World, guid: &str, spec: &NetworkSpec, _now_ms: u64) {
    let id = world.new_id();
    let mut body = json!({"name": spec.name, "type": spec.network_type, "cidr": spec.cidr});
    if !spec.gateway.is_empty() {
        body["gateway"] = json!(spec.gateway);
    }
    if !spec.dns_servers.is_empty() {
        body["dnsServers"] = json!(spec.dns_servers);
    }
    match build(world, guid, &body, &id) {
        Ok(network) => world.insert(SERVICE, NETWORKS, &id, network),
        Err(e) => tracing::warn!(network = %spec.name, error = %e, "scenario network skipped"),
    }
}

/// IP addresses of the network already given to NICs.
fn used_addresses(world: &World, network_id: &str) -> BTreeSet<String> {
    world
        .list(SERVICE, PVM_INSTANCES)
        .flat_map(|vm| vm["networks"].as_array().cloned().unwrap_or_default())
        .filter(|nic| nic["networkID"] == network_id)
        .filter_map(|nic| nic["ipAddress"].as_str().map(str::to_owned))
        .collect()
}

/// The next free address of the network's ranges, or the requested one if it is free.
/// `also_taken` holds addresses handed out earlier in the same request.
pub fn allocate_ip(
    world: &World,
    network: &Value,
    requested: Option<&str>,
    also_taken: &[String],
) -> Result<String, PowerError> {
    let network_id = network["networkID"].as_str().unwrap_or_default();
    let mut used = used_addresses(world, network_id);
    used.extend(also_taken.iter().cloned());
    let ranges = network["ipAddressRanges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let in_ranges = |a: u32| {
        ranges.iter().any(
            |r| match (ip(&r["startingIPAddress"]), ip(&r["endingIPAddress"])) {
                (Some(s), Some(e)) => (u32::from(s)..=u32::from(e)).contains(&a),
                _ => false,
            },
        )
    };
    if let Some(text) = requested.filter(|t| !t.is_empty()) {
        let address: Ipv4Addr = text.parse().map_err(|_| {
            PowerError::bad_request(format!("ipAddress {text:?} is not an IPv4 address"))
        })?;
        if !in_ranges(u32::from(address)) {
            return Err(PowerError::bad_request(format!(
                "ipAddress {address} is not in the IP address ranges of network {network_id}"
            )));
        }
        if used.contains(&address.to_string()) {
            return Err(PowerError::conflict(format!(
                "ipAddress {address} is already in use on network {network_id}"
            )));
        }
        return Ok(address.to_string());
    }
    for range in &ranges {
        if let (Some(s), Some(e)) = (
            ip(&range["startingIPAddress"]),
            ip(&range["endingIPAddress"]),
        ) {
            for a in u32::from(s)..=u32::from(e) {
                let candidate = Ipv4Addr::from(a).to_string();
                if !used.contains(&candidate) {
                    return Ok(candidate);
                }
            }
        }
    }
    Err(PowerError::conflict(format!(
        "network {network_id} has no free IP address left"
    )))
}

/// The Network as the API shows it, with live IP address metrics.
pub fn view(world: &World, network: &Value) -> Value {
    let total: u64 = network["ipAddressRanges"]
        .as_array()
        .map(|r| r.iter().map(range_size).sum())
        .unwrap_or(0);
    let used =
        used_addresses(world, network["networkID"].as_str().unwrap_or_default()).len() as u64;
    let mut out = public_view(network);
    out["ipAddressMetrics"] = json!({
        "total": total,
        "used": used,
        "available": total.saturating_sub(used),
        "utilization": (used * 100).checked_div(total).unwrap_or(0),
    });
    out
}

fn reference(network: &Value, cid: &str) -> Value {
    let id = network["networkID"].as_str().unwrap_or_default();
    json!({
        "networkID": id,
        "name": network["name"],
        "type": network["type"],
        "vlanID": network["vlanID"],
        "dhcpManaged": network["dhcpManaged"],
        "crn": network["crn"],
        "mtu": network["mtu"],
        "advertise": network["advertise"],
        "arpBroadcast": network["arpBroadcast"],
        "href": format!("/pcloud/v1/cloud-instances/{cid}/networks/{id}"),
    })
}

/// A network of the workspace by id or name.
pub fn find<'w>(world: &'w World, guid: &str, id_or_name: &str) -> Option<&'w Value> {
    find_in_workspace(world, NETWORKS, guid, id_or_name, "name")
}

pub async fn list(call: PowerCall, Path(cid): Path<String>) -> PowerResult {
    let request = call.open(Some(&cid)).await?;
    let networks = in_workspace(&request.world, NETWORKS, &cid, |n| reference(n, &cid));
    Ok(Json(json!({"networks": networks})).into_response())
}

pub async fn create(
    call: PowerCall,
    Path(cid): Path<String>,
    PowerBody(body): PowerBody,
) -> PowerResult {
    let mut request = call.open(Some(&cid)).await?;
    if !request.world.has_room(SERVICE, NETWORKS) {
        return Err(PowerError::quota_exceeded("network"));
    }
    let id = request.world.new_id();
    let network = build(&request.world, &cid, &body, &id)?;
    request
        .world
        .insert(SERVICE, NETWORKS, &id, network.clone());
    Ok((StatusCode::CREATED, Json(view(&request.world, &network))).into_response())
}

pub async fn show(call: PowerCall, Path((cid, network_id)): Path<(String, String)>) -> PowerResult {
    let request = call.open(Some(&cid)).await?;
    let network = find(&request.world, &cid, &network_id)
        .ok_or_else(|| PowerError::not_found("network", &network_id))?;
    Ok(Json(view(&request.world, network)).into_response())
}

pub async fn update(
    call: PowerCall,
    Path((cid, network_id)): Path<(String, String)>,
    PowerBody(patch): PowerBody,
) -> PowerResult {
    let mut request = call.open(Some(&cid)).await?;
    let current = find(&request.world, &cid, &network_id)
        .cloned()
        .ok_or_else(|| PowerError::not_found("network", &network_id))?;
    let id = current["networkID"].as_str().unwrap_or_default().to_owned();
    // Re-validate the merged network as a create would, ignoring the network itself.
    let mut candidate_body = json!({
        "type": current["type"], "cidr": current["cidr"], "name": current["name"],
        "gateway": current["gateway"], "ipAddressRanges": current["ipAddressRanges"],
        "dnsServers": current["dnsServers"], "jumbo": current["jumbo"], "mtu": current["mtu"],
    });
    for key in ["name", "gateway", "ipAddressRanges", "dnsServers"] {
        if let Some(v) = patch.get(key).filter(|v| !v.is_null()) {
            candidate_body[key] = v.clone();
        }
    }
    let held = request.world.remove(SERVICE, NETWORKS, &id);
    let rebuilt = build(&request.world, &cid, &candidate_body, &id);
    let network = match (rebuilt, held) {
        (Ok(mut network), Some(old)) => {
            network["vlanID"] = old["vlanID"].clone();
            network
        }
        (Err(e), Some(old)) => {
            request.world.insert(SERVICE, NETWORKS, &id, old);
            return Err(e);
        }
        (_, None) => return Err(PowerError::not_found("network", &network_id)),
    };
    request
        .world
        .insert(SERVICE, NETWORKS, &id, network.clone());
    Ok(Json(view(&request.world, &network)).into_response())
}

pub async fn delete(
    call: PowerCall,
    Path((cid, network_id)): Path<(String, String)>,
) -> PowerResult {
    let mut request = call.open(Some(&cid)).await?;
    let id = find(&request.world, &cid, &network_id)
        .and_then(|n| n["networkID"].as_str().map(str::to_owned))
        .ok_or_else(|| PowerError::not_found("network", &network_id))?;
    let attached: Vec<String> = request
        .world
        .list(SERVICE, PVM_INSTANCES)
        .filter(|vm| {
            vm["networks"]
                .as_array()
                .is_some_and(|nics| nics.iter().any(|nic| nic["networkID"] == id.as_str()))
        })
        .filter_map(|vm| vm["serverName"].as_str().map(str::to_owned))
        .collect();
    if !attached.is_empty() {
        return Err(PowerError::conflict(format!(
            "network {id} still has ports in use by pvm-instances: {}",
            attached.join(", ")
        )));
    }
    request.world.remove(SERVICE, NETWORKS, &id);
    Ok(Json(json!({})).into_response())
}
