# Step 1: IBM's provider lets go of the objects without touching them. ibm_pdr_managedr's own
# delete removes nothing in the cloud, but a removed block says so explicitly; the service
# instance and the rule would be deleted by their IBM resources, so destroy = false matters.
removed {
  from = ibm_pdr_managedr.dr
  lifecycle {
    destroy = false
  }
}

removed {
  from = ibm_resource_instance.dr
  lifecycle {
    destroy = false
  }
}

removed {
  from = ibm_is_security_group_rule.powervs_mgmt_https
  lifecycle {
    destroy = false
  }
}

# Step 2: the dr provider takes the same objects over. The plan must show only imports:
# "N to import, 0 to add, 0 to change, 0 to destroy".

# The deployment (service instance + primary orchestrator). Without service_instance_id the
# resource owns the instance, as ibm_resource_instance did: destroy deprovisions it.
import {
  to = dr_orchestrator.dr
  id = var.dr_instance_guid
}

resource "dr_orchestrator" "dr" {
  name                     = var.deployment_name
  orchestrator_user        = var.orchestrator_user
  orchestrator_password_wo = var.orchestrator_password
  workspace_id             = var.primary_workspace_guid
  machine_type             = var.machine_type
  tier                     = "tier1"
  ssh_key_name             = var.ssh_key_name
}

# orchestrator_ha = true and the standby_* arguments become their own resource. It finds the
# standby workspace's existing gateway connection and leaves it in place on destroy
# (manages_transit_gateway_connection = false).
import {
  to = dr_ha_standby.dr
  id = var.dr_instance_guid
}

resource "dr_ha_standby" "dr" {
  orchestrator_id          = dr_orchestrator.dr.id
  workspace_id             = var.standby_workspace_guid
  transit_gateway_id       = var.transit_gateway_id
  orchestrator_password_wo = var.orchestrator_password
  tier                     = "tier1"
  ssh_key_name             = var.ssh_key_name
}

import {
  to = dr_security_group_rule.powervs_mgmt_https
  id = "${var.security_group_id}/${var.security_group_rule_id}"
}

resource "dr_security_group_rule" "powervs_mgmt_https" {
  security_group_id = var.security_group_id
  direction         = "inbound"
  remote_cidr       = var.powervs_management_subnet_cidr
  protocol          = "tcp"
  port_min          = 443
  port_max          = 443
}

# VMs the orchestrator already protects: IBM's provider only listed them
# (ibm_pdr_managed_vm_list); here each one is a resource, imported as it is.
import {
  for_each = var.protected_vms
  to       = dr_managed_vm.protected[each.key]
  id       = "${var.dr_instance_guid}/${each.value.pvm_instance_id}"
}

resource "dr_managed_vm" "protected" {
  for_each        = var.protected_vms
  orchestrator_id = dr_orchestrator.dr.id
  pvm_instance_id = each.value.pvm_instance_id
  priority        = each.value.priority
}
