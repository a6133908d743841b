# Disaster recovery for a PowerVS landing zone: the DR orchestrator in the primary workspace, an
# HA standby in the second workspace attached to the Transit Gateway, the protected VMs in
# priority order with their backups in the DR workspace of the GRS partner location, and VPC
# security-group rules that admit the PowerVS subnets.

locals {
  security_groups = {
    for sg in flatten(var.vpc_data[*].security_group) : sg.group_name => sg.group_id
  }

  # Every private subnet of both workspaces, as the PowerVS API reports them.
  powervs_cidrs = distinct(concat(
    data.dr_workspace_subnets.primary.cidrs,
    data.dr_workspace_subnets.standby.cidrs,
  ))
}

resource "dr_orchestrator" "this" {
  name              = var.prefix
  orchestrator_user = var.orchestrator_user
  workspace_id      = var.powervs_workspace_guid
  location_id       = var.powervs_zone
  machine_type      = var.machine_type
  tier              = var.tier
  network_ids       = [var.powervs_management_subnet.id]
  ssh_key_name      = var.powervs_ssh_public_key.name
  proxy_ip          = var.proxy_host_or_ip_port

  orchestrator_password_wo         = var.orchestrator_password
  orchestrator_password_wo_version = var.orchestrator_password_version

  lifecycle {
    precondition {
      condition     = strcontains(var.powervs_workspace_id, var.powervs_workspace_guid)
      error_message = "powervs_workspace_id must be the CRN of the workspace that powervs_workspace_guid names."
    }
  }
}

resource "dr_ha_standby" "this" {
  orchestrator_id    = dr_orchestrator.this.id
  workspace_id       = var.standby_workspace_guid
  transit_gateway_id = var.transit_gateway_id
  machine_type       = var.machine_type
  tier               = var.tier
  network_ids        = [var.standby_management_subnet.id]
  ssh_key_name       = var.powervs_ssh_public_key.name

  # DR Automation asks for the orchestrator password again to deploy the standby.
  orchestrator_password_wo         = var.orchestrator_password
  orchestrator_password_wo_version = var.orchestrator_password_version
}

resource "dr_managed_vm" "this" {
  for_each = var.protected_vms

  orchestrator_id     = dr_orchestrator.this.id
  pvm_instance_id     = each.value.pvm_instance_id
  priority            = each.value.priority
  workgroup_name      = each.value.workgroup_name
  backup_workspace_id = var.backup_workspace_guid

  # Manage the VMs once the standby is in place, so both KSYS nodes know them.
  depends_on = [dr_ha_standby.this]
}

data "dr_workspace_subnets" "primary" {
  workspace_id = var.powervs_workspace_guid
  type         = "vlan"
}

data "dr_workspace_subnets" "standby" {
  workspace_id = var.standby_workspace_guid
  type         = "vlan"
}

# The orchestrators talk to services in the VPC (DNS, NTP, proxy) from every PowerVS subnet.
resource "dr_security_group_rule" "powervs_inbound" {
  for_each = toset(local.powervs_cidrs)

  security_group_id = local.security_groups[var.security_group_name]
  direction         = "inbound"
  remote_cidr       = each.value
  protocol          = "any"
  name              = "dr-from-${replace(replace(each.value, ".", "-"), "/", "-")}"
}

# Read after the VMs are registered, so managed_vm_count is what DR Automation reports now.
data "dr_summary" "this" {
  orchestrator_id = dr_orchestrator.this.id

  depends_on = [dr_managed_vm.this, dr_ha_standby.this]
}

check "powervs_subnets_do_not_overlap" {
  assert {
    condition     = length(provider::dr::cidr_overlaps(local.powervs_cidrs)) == 0
    error_message = "Subnets of the primary and standby workspaces overlap; they cannot be routed over one Transit Gateway."
  }
}
