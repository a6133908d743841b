//! The networks of one PVM instance (`.../pvm-instances/{pvm}/networks[/{network_id}]`): list,
//! show, attach and detach a NIC, with power-go-client's `PVMInstanceNetworks`,
//! `PVMInstanceAddNetwork`, `PVMInstanceNetwork` and `PVMInstanceRemoveNetwork` shapes.
//!
//! Attach answers 201 with the new NIC and detach 200 `{}`, as the swagger of these calls
//! declares. Both need the instance `ACTIVE` or `SHUTOFF` (409 otherwise). IBM does not say
//! how long a NIC takes to appear; here it is there at once, the IP address drawn from the
//! network's ranges like at create. A NIC on a public (`pub-vlan`) network also shows its
//! address as `externalIP`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::networks;
use super::{
    PowerBody, PowerCall, PowerError, PowerResult, instance, instance_id, instance_mut, parse_body,
};

/// The MAC address of the instance's NIC on the network.
pub(super) fn mac_address(vm_id: &str, network_id: &str) -> String {
    // FNV-1a: stable per (instance, network), so a restart shows the same MAC.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in vm_id.bytes().chain(network_id.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let b = hash.to_be_bytes();
    format!("fa:16:3e:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2])
}

/// A NIC of `network` with `address`, as `PVMInstanceNetwork` shows it (the MAC address is
/// filled in once the instance has an id).
pub fn nic(network: &Value, cid: &str, address: &str) -> Value {
    let network_id = network["networkID"].as_str().unwrap_or_default();
    let external = if network["type"] == "pub-vlan" {
        address
    } else {
        ""
    };
    json!({
        "networkID": network_id,
        "networkName": network["name"],
        "ipAddress": address,
        "macAddress": "",
        "externalIP": external,
        "type": "fixed",
        "version": 4,
        "href": format!("/pcloud/v1/cloud-instances/{cid}/networks/{network_id}"),
    })
}

fn nics_of(vm: &Value) -> Vec<Value> {
    vm["networks"].as_array().cloned().unwrap_or_default()
}

/// Attach and detach change a running or stopped instance only.
fn check_changeable(vm: &Value, id: &str) -> Result<(), PowerError> {
    let status = vm["status"].as_str().unwrap_or_default();
    if vm["taskState"] == "deleting" || !(status == "ACTIVE" || status == "SHUTOFF") {
        return Err(PowerError::conflict(format!(
            "the networks of pvm-instance {id} cannot be changed while its status is {status}"
        )));
    }
    Ok(())
}

/// Stores `nics` as the instance's networks (and the deprecated mirrors of them).
fn store_nics(vm: &mut Value, nics: Vec<Value>, now: &str) {
    vm["networkIDs"] = json!(
        nics.iter()
            .map(|n| n["networkID"].clone())
            .collect::<Vec<_>>()
    );
    vm["addresses"] = json!(nics.clone());
    vm["networks"] = json!(nics);
    vm["updatedDate"] = json!(now);
}

/// `GET .../pvm-instances/{pvm}/networks`.
pub async fn list(call: PowerCall, Path((cid, pvm_id)): Path<(String, String)>) -> PowerResult {
    let request = call.open(Some(&cid)).await?;
    let vm = instance(&request.world, &cid, &pvm_id)?;
    Ok(Json(json!({"networks": nics_of(vm)})).into_response())
}

/// `GET .../pvm-instances/{pvm}/networks/{network_id}`: the instance's NICs on that network.
pub async fn show(
    call: PowerCall,
    Path((cid, pvm_id, network_id)): Path<(String, String, String)>,
) -> PowerResult {
    let request = call.open(Some(&cid)).await?;
    let id = instance_id(&request.world, &cid, &pvm_id)?;
    let vm = instance(&request.world, &cid, &pvm_id)?;
    let on_network: Vec<Value> = nics_of(vm)
        .into_iter()
        .filter(|n| n["networkID"] == network_id.as_str())
        .collect();
    if on_network.is_empty() {
        return Err(PowerError::not_found(
            "pvm-instance network",
            &format!("{network_id} on pvm-instance {id}"),
        ));
    }
    Ok(Json(json!({"networks": on_network})).into_response())
}

/// `POST .../pvm-instances/{pvm}/networks` with `{networkID, ipAddress?}`: 201 and the NIC.
pub async fn attach(
    call: PowerCall,
    Path((cid, pvm_id)): Path<(String, String)>,
    PowerBody(body): PowerBody,
) -> PowerResult {
    let now = call.sim.now_rfc3339();
    let mut request = call.open(Some(&cid)).await?;
    let network_ref = body["networkID"]
        .as_str()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| PowerError::bad_request("networkID is required"))?;
    let id = instance_id(&request.world, &cid, &pvm_id)?;
    let vm = instance(&request.world, &cid, &pvm_id)?.clone();
    check_changeable(&vm, &id)?;
    let network = networks::find(&request.world, &cid, network_ref)
        .cloned()
        .ok_or_else(|| {
            PowerError::bad_request(format!(
                "network {network_ref} does not exist in cloud instance {cid}"
            ))
        })?;
    let network_id = network["networkID"].as_str().unwrap_or_default().to_owned();
    let mut nics = nics_of(&vm);
    if nics.iter().any(|n| n["networkID"] == network_id.as_str()) {
        return Err(PowerError::conflict(format!(
            "network {network_id} is already attached to pvm-instance {id}"
        )));
    }
    let address = networks::allocate_ip(&request.world, &network, body["ipAddress"].as_str(), &[])?;
    let mut added = nic(&network, &cid, &address);
    added["macAddress"] = json!(mac_address(&id, &network_id));
    nics.push(added.clone());
    let vm = instance_mut(&mut request.world, &cid, &pvm_id)?;
    store_nics(vm, nics, &now);
    Ok((StatusCode::CREATED, Json(added)).into_response())
}

/// `DELETE .../pvm-instances/{pvm}/networks/{network_id}`, optionally with `{macAddress}` to
/// remove one NIC of several on that network: 200 `{}`.
pub async fn detach(
    call: PowerCall,
    Path((cid, pvm_id, network_id)): Path<(String, String, String)>,
    body: Bytes,
) -> PowerResult {
    let mac = if body.is_empty() {
        None
    } else {
        parse_body(&body)?["macAddress"]
            .as_str()
            .filter(|m| !m.is_empty())
            .map(str::to_owned)
    };
    let now = call.sim.now_rfc3339();
    let mut request = call.open(Some(&cid)).await?;
    let id = instance_id(&request.world, &cid, &pvm_id)?;
    let vm = instance(&request.world, &cid, &pvm_id)?.clone();
    check_changeable(&vm, &id)?;
    let removed = |n: &Value| {
        n["networkID"] == network_id.as_str()
            && mac
                .as_deref()
                .is_none_or(|m| n["macAddress"].as_str() == Some(m))
    };
    let before = nics_of(&vm);
    let kept: Vec<Value> = before.iter().filter(|n| !removed(n)).cloned().collect();
    if kept.len() == before.len() {
        let what = match &mac {
            Some(m) => format!("{network_id} (MAC {m}) on pvm-instance {id}"),
            None => format!("{network_id} on pvm-instance {id}"),
        };
        return Err(PowerError::not_found("pvm-instance network", &what));
    }
    let vm = instance_mut(&mut request.world, &cid, &pvm_id)?;
    store_nics(vm, kept, &now);
    Ok(Json(json!({})).into_response())
}
