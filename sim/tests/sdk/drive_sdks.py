"""Drives dr-cloudsim with IBM's official Python SDKs.

Usage: drive_sdks.py <emulator base URL>

Every SDK is pointed at the emulator (service_url = <url>/<prefix>) and authenticates with
the SDK core's IAMAuthenticator against <url>/iam. Each service goes through create, read,
list and delete, and every response body is parsed with the SDK model's from_dict, which
raises when a required property is missing: a pass means the emulator answers with the
shapes IBM's SDKs expect. Exits non-zero, naming the step, on the first failure.
"""

import json
import sys
import time
import urllib.request

from ibm_cloud_sdk_core import ApiException
from ibm_cloud_sdk_core.authenticators import IAMAuthenticator
from ibm_cloud_networking_services.transit_gateway_apis_v1 import (
    RouteReport,
    RouteReportCollection,
    TransitConnectionCollection,
    TransitGateway,
    TransitGatewayApisV1,
    TransitGatewayCollection,
    TransitGatewayConnectionCollection,
    TransitGatewayConnectionCust,
)
from ibm_dra_python_sdk.dr_automation_service_v1 import (
    DrAutomationGetSummaryResponse,
    DrAutomationServiceV1,
    DrData,
    Event,
    EventCollection,
    GetDrLocationsResponse,
    GetGRSLocationPairResponse,
    MachineTypesByWorkspace,
    ManagedVmMapResponse,
    ServiceInstanceManageDR,
    ServiceInstanceStatus,
    ValidationKeyResponse,
)
from ibm_platform_services import GlobalCatalogV1, ResourceControllerV2, ResourceManagerV2
from ibm_platform_services.global_catalog_v1 import EntrySearchResult
from ibm_platform_services.resource_controller_v2 import ResourceInstance, ResourceInstancesList
from ibm_platform_services.resource_manager_v2 import ResourceGroup, ResourceGroupList
from ibm_vpc import VpcV1
from ibm_vpc.vpc_v1 import (
    AddressPrefixCollection,
    SecurityGroup,
    SecurityGroupCollection,
    SecurityGroupRule,
    SecurityGroupRuleCollection,
    SecurityGroupsPager,
    Subnet,
    SubnetCollection,
    VPC,
    VPCCollection,
)

API_VERSION = "2026-03-24"
POLL_SECONDS = 0.05
POLL_LIMIT = 400


class StepFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise StepFailed(message)


def wait_for(what, fetch, done):
    """Polls fetch() until done(result) (bounded), returning the last result."""
    result = None
    for _ in range(POLL_LIMIT):
        result = fetch()
        if done(result):
            return result
        time.sleep(POLL_SECONDS)
    raise StepFailed(f"{what} never completed; last answer: {result}")


def provision_dr_instance(rc, name, plan_id, group_id):
    """Creates a DR Automation instance through the RC SDK and waits until it is active; its
    guid."""
    created = ResourceInstance.from_dict(
        rc.create_resource_instance(
            name=name, target="global", resource_group=group_id, resource_plan_id=plan_id
        ).get_result()
    )
    guid = created.guid
    wait_for(
        "DR instance provisioning",
        lambda: ResourceInstance.from_dict(rc.get_resource_instance(id=guid).get_result()),
        lambda i: i.state == "active",
    )
    return guid


def sim_state(base):
    with urllib.request.urlopen(f"{base}/_sim/state") as response:
        return json.load(response)


def sim_object(base, service, collection, object_id):
    with urllib.request.urlopen(f"{base}/_sim/objects/{service}/{collection}/{object_id}") as response:
        return json.load(response)


def drive_manage_dr_fields(base, dra, rc, plan_id, group_id, workspace_id, network_id):
    """Every optional manage_dr field the SDK knows, as its create_manage_dr sends them (None
    dropped, snake_case names, Accept-Language as a header): the emulator accepts them and
    records the request with each secret replaced by its length."""
    guid = provision_dr_instance(rc, "sdk-dr-fields", plan_id, group_id)
    fields = dict(
        location_id="dal10",
        machine_type="s922",
        orchestrator_location_type="on-premises",
        orchestrator_name="dradmin",
        orchestrator_password="Sdk-Passw0rd",
        orchestrator_workspace_id=workspace_id,
        api_key="sim-api-key",
        managed_apikey="Sdk-Managed-Key",
        client_id="sdk-mfa-client",
        client_secret="Sdk-Mfa-Secret",
        tenant_name="sdk-tenant",
        guid="0a1b2c3d-0000-4000-8000-5ec7e75a5a6e",
        secret="orchestrator-credentials",
        secret_group="dr-secrets",
        region_id="us-south",
        orchestrator_network_ids=[network_id],
        proxy_ip="10.30.40.4:3128",
        ssh_key_name="slz-ssh-key",
        tier="tier3",
        orchestrator_ha=False,
    )
    response = dra.create_manage_dr(instance_id=guid, accept_language="de-DE", accepts_incomplete=True, **fields)
    ServiceInstanceManageDR.from_dict(response.get_result())
    recorded = sim_object(base, "dra", "deployments", guid)["_manage_dr_request"]
    check(recorded["accept_language"] == "de-DE", f"Accept-Language recorded: {recorded}")
    check(recorded["query"] == {"accepts_incomplete": "true"}, f"query recorded: {recorded}")
    secrets = {"orchestrator_password", "api_key", "managed_apikey", "client_secret"}
    expected = {
        k: (f"[secret: {len(v)} characters]" if k in secrets else v) for k, v in fields.items()
    }
    check(recorded["body"] == expected, f"manage_dr body as the SDK sent it: {recorded['body']}")
    text = json.dumps(sim_state(base))
    for secret in ("Sdk-Passw0rd", "Sdk-Managed-Key", "Sdk-Mfa-Secret"):
        check(secret not in text, f"{secret} stays out of the emulator's state")
    wait_for(
        "DR deployment with every field",
        lambda: ServiceInstanceStatus.from_dict(dra.get_last_operation(instance_id=guid).get_result()),
        lambda s: s.status == "Active",
    )
    response = rc.delete_resource_instance(id=guid)
    check(response.get_status_code() in (202, 204), "DR instance with every field deleted")


def ksysmgr(guid, args):
    """Runs ksysmgr on the DR instance's orchestrator. IBM publishes no REST API for managed
    VMs: the orchestrator's ksysmgr, over SSH, is the interface. The SSH client is the Rust
    side of sdk.rs, which reads this request on our stdout and answers on our stdin."""
    print(f"ksys: {guid} {args}", flush=True)
    answer = sys.stdin.readline().strip()
    if answer != "ok":
        raise StepFailed(f"ksysmgr {args}: {answer}")


def platform(base, auth):
    gc = GlobalCatalogV1(authenticator=auth)
    gc.set_service_url(f"{base}/gc/api/v1")
    found = gc.list_catalog_entries(q="power-dr-automation").get_result()
    entries = EntrySearchResult.from_dict(found).resources
    check(entries, "global catalog finds power-dr-automation")
    service_id = entries[0].id
    plans = EntrySearchResult.from_dict(gc.get_child_objects(id=service_id, kind="plan").get_result()).resources
    plan = next(p for p in plans if p.name == "power-virtual-server-dr-automation")

    rm = ResourceManagerV2(authenticator=auth)
    rm.set_service_url(f"{base}/rm")
    groups = ResourceGroupList.from_dict(rm.list_resource_groups().get_result()).resources
    default = next(g for g in groups if g.default)
    ResourceGroup.from_dict(rm.get_resource_group(id=default.id).get_result())

    rc = ResourceControllerV2(authenticator=auth)
    rc.set_service_url(f"{base}/rc")
    return rc, plan.id, default.id


def drive_vpc(base, auth):
    vpc = VpcV1(version=API_VERSION, authenticator=auth)
    vpc.set_service_url(f"{base}/vpc/v1")
    vpcs = VPCCollection.from_dict(vpc.list_vpcs().get_result())
    edge = next(v for v in vpcs.vpcs if v.name == "slz-edge-vpc")
    VPC.from_dict(vpc.get_vpc(id=edge.id).get_result())
    subnets = SubnetCollection.from_dict(vpc.list_subnets(vpc_id=edge.id).get_result()).subnets
    check(len(subnets) == 4, "four landing-zone subnets")
    Subnet.from_dict(vpc.get_subnet(id=subnets[0].id).get_result())
    AddressPrefixCollection.from_dict(vpc.list_vpc_address_prefixes(vpc_id=edge.id).get_result())

    created = SecurityGroup.from_dict(
        vpc.create_security_group(vpc={"id": edge.id}, name="sdk-dr-sg").get_result()
    )
    rules = [
        {"direction": "inbound", "protocol": "tcp", "port_min": 22, "port_max": 22,
         "remote": {"cidr_block": "10.51.0.0/24"}, "name": "sdk-ssh"},
        {"direction": "inbound", "protocol": "icmp", "type": 8, "code": 0},
        {"direction": "outbound", "protocol": "icmp_tcp_udp", "remote": {"address": "10.61.0.10"}},
        {"direction": "outbound", "protocol": "any"},
        {"direction": "inbound", "protocol": "vrrp"},
        {"direction": "inbound", "protocol": "udp", "remote": {"id": created.id}},
    ]
    rule_ids = []
    for prototype in rules:
        response = vpc.create_security_group_rule(security_group_id=created.id, security_group_rule_prototype=prototype)
        check(response.get_status_code() == 201, f"rule create answers 201: {prototype}")
        rule = SecurityGroupRule.from_dict(response.get_result())
        check(rule.protocol == prototype["protocol"], f"protocol kept: {prototype}")
        rule_ids.append(rule.id)
    SecurityGroupRule.from_dict(
        vpc.get_security_group_rule(security_group_id=created.id, id=rule_ids[0]).get_result()
    )
    patched = SecurityGroupRule.from_dict(
        vpc.update_security_group_rule(
            security_group_id=created.id, id=rule_ids[0],
            security_group_rule_patch={"port_min": 22, "port_max": 2222},
        ).get_result()
    )
    check(patched.port_max == 2222, "rule patch applied")
    listed = SecurityGroupRuleCollection.from_dict(
        vpc.list_security_group_rules(security_group_id=created.id).get_result()
    )
    check(len(listed.rules) == len(rules), "all rules listed")
    try:
        vpc.create_security_group_rule(
            security_group_id=created.id,
            security_group_rule_prototype={"direction": "inbound", "protocol": "tcp", "name": "sdk-ssh"},
        )
        raise StepFailed("a duplicate rule name is refused")
    except ApiException as e:
        check(e.status_code == 409 and "sdk-ssh" in e.message, f"duplicate rule name: {e}")

    # The SDK pager follows next.href page by page.
    pager = SecurityGroupsPager(client=vpc, limit=1)
    names = []
    while pager.has_next():
        names.extend(g["name"] for g in pager.get_next())
    check("sdk-dr-sg" in names and "management-sg" in names, f"pager saw every group: {names}")
    SecurityGroupCollection.from_dict(vpc.list_security_groups(limit=2).get_result())

    for rule_id in rule_ids:
        response = vpc.delete_security_group_rule(security_group_id=created.id, id=rule_id)
        check(response.get_status_code() == 204, "rule delete answers 204")
    check(vpc.delete_security_group(id=created.id).get_status_code() == 204, "group delete answers 204")
    try:
        vpc.get_security_group(id=created.id)
        raise StepFailed("a deleted group is gone")
    except ApiException as e:
        check(e.status_code == 404, "deleted group answers 404")
    return vpc


def drive_tg(base, auth, vpc):
    tg = TransitGatewayApisV1(version=API_VERSION, authenticator=auth)
    tg.set_service_url(f"{base}/tg/v1")
    gateways = TransitGatewayCollection.from_dict(tg.list_transit_gateways().get_result())
    check(any(g.name == "slz-transit-gateway" for g in gateways.transit_gateways), "seeded gateway listed")
    TransitConnectionCollection.from_dict(tg.list_connections().get_result())

    new_vpc = VPC.from_dict(vpc.create_vpc(name="sdk-tg-vpc").get_result())
    gateway = TransitGateway.from_dict(
        tg.create_transit_gateway(location="us-south", name="sdk-gateway").get_result()
    )
    TransitGateway.from_dict(tg.get_transit_gateway(id=gateway.id).get_result())
    connection = TransitGatewayConnectionCust.from_dict(
        tg.create_transit_gateway_connection(
            transit_gateway_id=gateway.id, network_type="vpc", network_id=new_vpc.crn
        ).get_result()
    )
    check(connection.name == "sdk-tg-vpc", "a VPC connection is named after its VPC")
    wait_for(
        "connection attach",
        lambda: TransitGatewayConnectionCust.from_dict(
            tg.get_transit_gateway_connection(transit_gateway_id=gateway.id, id=connection.id).get_result()
        ),
        lambda c: c.status == "attached",
    )
    TransitGatewayConnectionCollection.from_dict(
        tg.list_transit_gateway_connections(transit_gateway_id=gateway.id).get_result()
    )
    report = RouteReport.from_dict(tg.create_transit_gateway_route_report(transit_gateway_id=gateway.id).get_result())
    report = wait_for(
        "route report",
        lambda: RouteReport.from_dict(
            tg.get_transit_gateway_route_report(transit_gateway_id=gateway.id, id=report.id).get_result()
        ),
        lambda r: r.status == "complete",
    )
    check(len(report.connections) == 1 and report.overlapping_routes == [], "report of one VPC, no overlap")
    RouteReportCollection.from_dict(tg.list_transit_gateway_route_reports(transit_gateway_id=gateway.id).get_result())
    tg.delete_transit_gateway_route_report(transit_gateway_id=gateway.id, id=report.id)

    response = tg.delete_transit_gateway_connection(transit_gateway_id=gateway.id, id=connection.id)
    check(response.get_status_code() == 204, "connection delete answers 204")

    def gone():
        try:
            tg.get_transit_gateway_connection(transit_gateway_id=gateway.id, id=connection.id)
            return False
        except ApiException as e:
            return e.status_code == 404

    wait_for("connection removal", gone, bool)
    check(tg.delete_transit_gateway(id=gateway.id).get_status_code() == 204, "gateway delete answers 204")
    vpc.delete_vpc(id=new_vpc.id)


def drive_dra(base, auth, rc, plan_id, group_id):
    guid = provision_dr_instance(rc, "sdk-dr", plan_id, group_id)
    listed = rc.list_resource_instances(resource_plan_id=plan_id).get_result()
    # IBM documents `next_url: null` on the last page, which the SDK's ResourceInstancesList
    # model refuses (it requires a non-null next_url); parse the list's members instead.
    check("next_url" in listed and listed["rows_count"] == len(listed["resources"]), "RC list shape")
    if listed["next_url"] is not None:
        ResourceInstancesList.from_dict(listed)
    check(any(ResourceInstance.from_dict(r).guid == guid for r in listed["resources"]), "instance listed")

    dra = DrAutomationServiceV1(authenticator=auth)
    dra.set_service_url(f"{base}/dra")
    state = sim_state(base)
    workspaces = {w["name"]: w for w in state["power"]["workspaces"]}
    primary = workspaces["slz-dal10-power-workspace"]
    standby = workspaces["slz-dal12-power-workspace"]

    MachineTypesByWorkspace.from_dict(
        dra.get_machine_type(instance_id=guid, primary_workspace_name=primary["name"],
                             standby_workspace_name=standby["name"]).get_result()
    )
    DrData.from_dict(dra.get_powervs_workspaces(instance_id=guid, location_id="dal10").get_result())
    GetDrLocationsResponse.from_dict(dra.get_dr_locations(instance_id=guid).get_result())
    ServiceInstanceStatus.from_dict(dra.get_last_operation(instance_id=guid).get_result())

    networks_by_ws = {}
    for net in state["power"]["networks"]:
        for ws in (primary, standby):
            if ws["id"] in json.dumps(net) and net.get("type") == "vlan":
                networks_by_ws.setdefault(ws["id"], []).append(net["networkID"])
    check(primary["id"] in networks_by_ws and standby["id"] in networks_by_ws, "private networks found")

    response = dra.create_manage_dr(
        instance_id=guid,
        location_id="dal10",
        machine_type="s922",
        orchestrator_location_type="off-premises",
        orchestrator_name="dradmin",
        orchestrator_password="Sdk-Passw0rd",
        orchestrator_workspace_id=primary["id"],
        orchestrator_network_ids=networks_by_ws[primary["id"]][:1],
        orchestrator_ha=True,
        standby_orchestrator_workspace_id=standby["id"],
        standby_machine_type="s922",
        standby_orchestrator_network_ids=networks_by_ws[standby["id"]][:1],
        ssh_key_name="slz-ssh-key",
        tier="tier1",
        standby_tier="tier1",
        accepts_incomplete=True,
    )
    ServiceInstanceManageDR.from_dict(response.get_result())
    # Mid-deployment answers must parse too, not only the final ones.
    running = ServiceInstanceStatus.from_dict(dra.get_last_operation(instance_id=guid).get_result())
    check(running.status in ("Running", "Active"), f"deployment running: {running.status}")
    DrAutomationGetSummaryResponse.from_dict(dra.get_dr_summary(instance_id=guid).get_result())
    status = wait_for(
        "DR deployment",
        lambda: ServiceInstanceStatus.from_dict(dra.get_last_operation(instance_id=guid).get_result()),
        lambda s: s.status in ("Active", "Failed"),
    )
    check(status.status == "Active" and status.standby_status == "Active", f"deployment active: {status}")
    check(status.primary_description.startswith("5/5: "), status.primary_description)

    aix = next(v for v in sim_state(base)["power"]["pvm_instances"] if v["serverName"] == "aix-app-01")
    ksysmgr(guid, "-f add site us-south region=us-south")
    ksysmgr(guid, "-f add site us-east region=us-east")
    ksysmgr(guid, f"-f manage vm vmuuid={aix['pvmInstanceID']} workgroup=sdk_group")

    managed = ManagedVmMapResponse.from_dict(dra.get_dr_managed_vm(instance_id=guid).get_result())
    check(managed.managed_vm_list[aix["pvmInstanceID"]].workgroup_name == "sdk_group", "managed VM listed")
    summary = DrAutomationGetSummaryResponse.from_dict(dra.get_dr_summary(instance_id=guid).get_result())
    check(summary.service_details.orchestrator_ha is True, "summary shows HA")
    GetGRSLocationPairResponse.from_dict(dra.get_dr_grs_location_pair(instance_id=guid).get_result())
    ValidationKeyResponse.from_dict(dra.update_apikey(instance_id=guid, api_key="sim-api-key").get_result())
    events = EventCollection.from_dict(dra.list_events(instance_id=guid).get_result())
    check(len(events.events) >= 10, "deployment events recorded")
    Event.from_dict(dra.get_event(instance_id=guid, event_id=events.events[-1].event_id).get_result())

    ksysmgr(guid, f"-f unmanage vm vmuuid={aix['pvmInstanceID']}")
    managed = ManagedVmMapResponse.from_dict(dra.get_dr_managed_vm(instance_id=guid).get_result())
    check(not managed.managed_vm_list, "VM no longer managed")
    response = rc.delete_resource_instance(id=guid)
    check(response.get_status_code() in (202, 204), "DR instance deleted")
    names = [v["serverName"] for v in sim_state(base)["power"]["pvm_instances"]]
    check("sdk-dr-orchestrator" not in names and "sdk-dr-standby" not in names,
          "deleting the instance removed its orchestrator VMs")

    drive_manage_dr_fields(
        base, dra, rc, plan_id, group_id, primary["id"], networks_by_ws[primary["id"]][0]
    )


def main():
    if len(sys.argv) != 2:
        print("usage: drive_sdks.py <emulator base URL>", file=sys.stderr)
        return 2
    base = sys.argv[1].rstrip("/")
    auth = IAMAuthenticator(apikey="sim-api-key", url=f"{base}/iam")
    steps = 0
    try:
        rc, plan_id, group_id = platform(base, auth)
        steps += 1
        vpc = drive_vpc(base, auth)
        steps += 1
        drive_tg(base, auth, vpc)
        steps += 1
        drive_dra(base, auth, rc, plan_id, group_id)
        steps += 1
    except (StepFailed, ApiException, ValueError, KeyError, StopIteration) as e:
        print(f"SDK drive failed after {steps} service group(s): {type(e).__name__}: {e}", file=sys.stderr)
        raise
    print(f"sdk drive ok: {steps} service groups (platform, vpc, transit gateway, dr automation)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
