# Terraform's own floor for `terraform validate` of examples/complete: the same blocks, locals,
# for_each expansions, references, precondition, check and outputs, but every resource and data
# source replaced by the built-in `terraform_data` (no provider process to start). The
# variables are copied from examples/complete at run time so both stay the same shape.

locals {
  security_groups = {
    for sg in flatten(var.vpc_data[*].security_group) : sg.group_name => sg.group_id
  }

  powervs_cidrs = distinct(concat(
    terraform_data.subnets_primary.output.cidrs,
    terraform_data.subnets_standby.output.cidrs,
  ))
}

resource "terraform_data" "orchestrator" {
  input = {
    name              = var.prefix
    orchestrator_user = var.orchestrator_user
    workspace_id      = var.powervs_workspace_guid
    location_id       = var.powervs_zone
    machine_type      = var.machine_type
    tier              = var.tier
    network_ids       = [var.powervs_management_subnet.id]
    ssh_key_name      = var.powervs_ssh_public_key.name
    proxy_ip          = var.proxy_host_or_ip_port
    password_version  = var.orchestrator_password_version
    dashboard_url     = "https://example.invalid"
  }

  lifecycle {
    precondition {
      condition     = strcontains(var.powervs_workspace_id, var.powervs_workspace_guid)
      error_message = "powervs_workspace_id must be the CRN of the workspace that powervs_workspace_guid names."
    }
  }
}

resource "terraform_data" "standby" {
  input = {
    orchestrator_id    = terraform_data.orchestrator.id
    workspace_id       = var.standby_workspace_guid
    transit_gateway_id = var.transit_gateway_id
    machine_type       = var.machine_type
    tier               = var.tier
    network_ids        = [var.standby_management_subnet.id]
    ssh_key_name       = var.powervs_ssh_public_key.name
    password_version   = var.orchestrator_password_version
    status             = "active"
  }
}

resource "terraform_data" "managed_vm" {
  for_each = var.protected_vms

  input = {
    orchestrator_id         = terraform_data.orchestrator.id
    pvm_instance_id         = each.value.pvm_instance_id
    priority                = each.value.priority
    workgroup_name          = each.value.workgroup_name
    vm_name                 = each.key
    dr_average_time_minutes = 10
  }

  depends_on = [terraform_data.standby]
}

resource "terraform_data" "subnets_primary" {
  input = { workspace_id = var.powervs_workspace_guid, type = "vlan", cidrs = ["10.51.0.0/24"] }
}

resource "terraform_data" "subnets_standby" {
  input = { workspace_id = var.standby_workspace_guid, type = "vlan", cidrs = ["10.61.0.0/24"] }
}

resource "terraform_data" "security_group_rule" {
  for_each = toset(local.powervs_cidrs)

  input = {
    security_group_id = local.security_groups[var.security_group_name]
    direction         = "inbound"
    remote_cidr       = each.value
    protocol          = "any"
    name              = "dr-from-${replace(replace(each.value, ".", "-"), "/", "-")}"
    rule_id           = each.value
  }
}

resource "terraform_data" "summary" {
  input = { orchestrator_id = terraform_data.orchestrator.id, managed_vm_count = 0 }

  depends_on = [terraform_data.managed_vm, terraform_data.standby]
}

check "powervs_subnets_do_not_overlap" {
  assert {
    condition     = length(setintersection(toset(local.powervs_cidrs), toset([]))) == 0
    error_message = "Subnets of the primary and standby workspaces overlap; they cannot be routed over one Transit Gateway."
  }
}
