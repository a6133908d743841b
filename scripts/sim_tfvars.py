#!/usr/bin/env python3
"""Writes terraform.tfvars.json for examples/complete from a running dr-cloudsim.

    scripts/sim_tfvars.py http://127.0.0.1:PORT > terraform.tfvars.json

The variables of examples/complete are named after the PowerVS landing zone's outputs; this
derives the same values from the emulator's /_sim/state, the way a landing zone would report
them for its account: the primary workspace is the one attached to the Transit Gateway, the
DR backup workspace is the one in the primary zone's GRS partner location (KSYS replicates
only between such partner locations, in different regions), the standby is another workspace
whose private subnets overlap neither the primary's nor the VPC's, and the protected VMs are
the primary's AIX, IBM i and RHEL VMs (DR refuses other systems). Orchestrator access comes
from /_sim/ssh: the emulator's jump host stands in for the landing zone's jump server
(access_host_or_ip), and the scenario's SSH key (whose private half the emulator hands out: it
is an emulator-only key) logs in to it and, as root, to the orchestrators; their host keys are
trusted on first use into ./sim_known_hosts, relative to Terraform's working directory.
Only the standard library is used, so it runs on a fresh machine.
"""

import ipaddress
import json
import sys
import urllib.request

# Recovery order in the demo: databases first, then applications, then web tiers.
PRIORITY_BY_OS = {"ibmi": "high", "aix": "medium", "rhel": "low"}

# GRS partner locations, as dr-cloudsim knows them (IBM's examples WDC04-DAL13, MAD02-FRA04,
# the reference's DAL12-WDC06, and the emulator's assumed DAL10-WDC07).
GRS_PAIRS = [("wdc04", "dal13"), ("mad02", "fra04"), ("dal12", "wdc06"), ("dal10", "wdc07")]


def grs_partner(zone):
    for a, b in GRS_PAIRS:
        if zone == a:
            return b
        if zone == b:
            return a
    return None


def fail(message):
    print(f"sim_tfvars: {message}", file=sys.stderr)
    sys.exit(1)


def workspace_of(crn):
    """The workspace GUID inside a PowerVS CRN (its seventh field)."""
    parts = (crn or "").split(":")
    return parts[7] if len(parts) > 7 else ""


def overlaps(cidrs_a, cidrs_b):
    nets_b = [ipaddress.ip_network(c) for c in cidrs_b]
    return any(ipaddress.ip_network(a).overlaps(b) for a in cidrs_a for b in nets_b)


def subnet(network):
    return {"name": network["name"], "id": network["networkID"], "cidr": network["cidr"]}


def management_subnet(networks):
    """The landing zone names its management subnet mgmt_net; otherwise the first by name."""
    ranked = sorted(networks, key=lambda n: ("mgmt" not in n["name"], n["name"]))
    return subnet(ranked[0]) if ranked else None


def tfvars(state, ssh):
    power, vpc, tg = state.get("power", {}), state.get("vpc", {}), state.get("tg", {})
    workspaces = {w["id"]: w for w in power.get("workspaces", [])}
    private = {}
    for network in power.get("networks", []):
        if network.get("type") == "vlan":
            private.setdefault(workspace_of(network.get("crn")), []).append(network)

    gateway, primary = None, None
    for candidate in tg.get("gateways", []):
        for conn in tg.get("connections", []):
            if conn.get("network_type") == "power_virtual_server" and conn.get("status") == "attached":
                guid = workspace_of(conn.get("network_id"))
                if guid in workspaces and (conn.get("transit_gateway", {}).get("id", candidate["id"]) == candidate["id"]):
                    gateway, primary = candidate, workspaces[guid]
                    break
        if primary:
            break
    if not primary:
        fail("no PowerVS workspace is attached to a Transit Gateway in this scenario")

    partner_zone = grs_partner(primary["location"]["region"])
    backup = next(
        (w for w in sorted(workspaces.values(), key=lambda w: w["name"])
         if w["location"]["region"] == partner_zone),
        None,
    )
    if not backup:
        fail(f"no workspace in {primary['location']['region']}'s GRS partner location {partner_zone}")

    primary_cidrs = [n["cidr"] for n in private.get(primary["id"], [])]
    vpc_cidrs = [s["ipv4_cidr_block"] for s in vpc.get("subnets", []) if s.get("ipv4_cidr_block")]
    standby = None
    for ws in sorted(workspaces.values(), key=lambda w: w["name"]):
        cidrs = [n["cidr"] for n in private.get(ws["id"], [])]
        if ws["id"] not in (primary["id"], backup["id"]) and cidrs and not overlaps(cidrs, primary_cidrs + vpc_cidrs):
            standby = ws
            break
    if not standby:
        fail("no second workspace with non-overlapping private subnets for the standby")

    keys = sorted(k["name"] for k in power.get("ssh_keys", []))
    if not keys:
        fail("the scenario has no SSH key")

    vpc_data = []
    for v in vpc.get("vpcs", []):
        groups = [
            {"group_id": g["id"], "group_name": g["name"]}
            for g in vpc.get("security_groups", [])
            if g.get("vpc", {}).get("id") == v["id"]
        ]
        vpc_data.append({"vpc_id": v["id"], "vpc_name": v["name"], "security_group": groups})

    protected = {}
    for vm in power.get("pvm_instances", []):
        if workspace_of(vm.get("crn")) == primary["id"] and vm.get("osType") in PRIORITY_BY_OS:
            protected[vm["serverName"]] = {
                "pvm_instance_id": vm["pvmInstanceID"],
                "priority": PRIORITY_BY_OS[vm["osType"]],
            }

    return {
        "powervs_workspace_guid": primary["id"],
        "powervs_workspace_id": primary["details"]["crn"],
        "powervs_zone": primary["location"]["region"],
        "powervs_management_subnet": management_subnet(private.get(primary["id"], [])),
        "powervs_ssh_public_key": {"name": keys[0]},
        "transit_gateway_id": gateway["id"],
        "vpc_data": vpc_data,
        "backup_workspace_guid": backup["id"],
        "standby_workspace_guid": standby["id"],
        "standby_management_subnet": management_subnet(private.get(standby["id"], [])),
        "protected_vms": protected,
        "access_host_or_ip": ssh["jump_host"]["address"],
        "jump_host_user": ssh["jump_host"]["user"],
        "jump_host_keys": [ssh["jump_host"]["host_key"]],
        "ssh_private_key": ssh["scenario_key"]["private_key"],
        "orchestrator_known_hosts_file": "sim_known_hosts",
    }


def main():
    if len(sys.argv) != 2:
        fail("usage: sim_tfvars.py http://127.0.0.1:PORT")
    documents = {}
    for name in ("state", "ssh"):
        url = sys.argv[1].rstrip("/") + "/_sim/" + name
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                documents[name] = json.load(response)
        except OSError as e:
            fail(f"cannot read {url}: {e}")
    json.dump(tfvars(documents["state"], documents["ssh"]), sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
