# Finds a whole DR setup by its deployment name: the orchestrator, its standby, the VMs its
# KSYS manages, its scheduled DR tests, and the rules of the security group that lets the
# PowerVS subnets through. Run it in an empty directory holding versions.tf:
#
#   terraform init
#   terraform query -var deployment=dr-prod -var security_group_id=r006-...
#   terraform query -var deployment=dr-prod -var security_group_id=r006-... \
#     -generate-config-out=generated.tf
#
# then set orchestrator_password_wo in generated.tf (the API never returns the password) and
# `terraform plan` imports everything without a change. The managed VMs and the schedules need
# the provider's orchestrator_ssh (here from the DR_ORCHESTRATOR_SSH_* / DR_JUMP_HOST_*
# environment variables).

variable "deployment" {
  description = "Name of the DR deployment (the dr_orchestrator's name)."
  type        = string
}

variable "security_group_id" {
  description = "VPC security group whose rules to adopt as dr_security_group_rule."
  type        = string
}

list "dr_orchestrator" "dr" {
  provider = dr

  config {
    name = var.deployment
  }
}

# Each list below reads the orchestrator the first one found.
list "dr_ha_standby" "standby" {
  provider = dr

  config {
    orchestrator_id = list.dr_orchestrator.dr.data[0].identity.id
  }
}

list "dr_managed_vm" "vms" {
  provider = dr

  config {
    orchestrator_id = list.dr_orchestrator.dr.data[0].identity.id
  }
}

list "dr_test_schedule" "tests" {
  provider = dr

  config {
    orchestrator_id = list.dr_orchestrator.dr.data[0].identity.id
  }
}

list "dr_security_group_rule" "rules" {
  provider = dr

  config {
    security_group_id = var.security_group_id
  }
}
