# Offline tests of the complete example: the provider's schema and validation are real, every
# cloud call is mocked (terraform test, Terraform 1.7 and later).

mock_provider "dr" {}

variables {
  powervs_workspace_guid = "71bb54d8-d101-45b9-8fee-1792f2a41d60"
  powervs_workspace_id   = "crn:v1:bluemix:public:power-iaas:dal10:a/6f1d1a9c2b7e4c0e9a3b5d7f8e2c4a61:71bb54d8-d101-45b9-8fee-1792f2a41d60::"
  powervs_zone           = "dal10"
  powervs_management_subnet = {
    name = "mgmt_net"
    id   = "dd90e10f-6f7c-4c8a-95b8-2af6a9b8b0d2"
    cidr = "10.51.0.0/24"
  }
  powervs_ssh_public_key = { name = "slz-ssh-key" }
  transit_gateway_id     = "f55540b2-bff0-4252-beee-7f3700d5af86"
  vpc_data = [{
    vpc_id   = "r006-5d493066-45a3-45d0-8f7c-b1e38c5471f5"
    vpc_name = "slz-edge-vpc"
    security_group = [
      { group_id = "r006-64c70b0b-0c5b-4a8f-b9fb-35e36a9d7130", group_name = "management-sg" },
      { group_id = "r006-397c1e3b-5d1f-44c5-9375-b94f66cbb9a7", group_name = "network-services-sg" },
    ]
  }]
  standby_workspace_guid = "d31dadbd-a438-4b33-b903-56349ba3e995"
  standby_management_subnet = {
    name = "mgmt_net"
    id   = "497305c5-d1aa-499f-8d81-8a20971b59b5"
    cidr = "10.61.0.0/24"
  }
  orchestrator_password = "Passw0rd-for-tests"
  # An ephemeral variable must be set in both phases of a test run; a placeholder is enough
  # for the mock provider.
  ssh_private_key = "placeholder"
  protected_vms = {
    "ibmi-db-01"  = { pvm_instance_id = "ac2cc667-9ba3-463f-b4ce-4b8c7553369d", priority = "high" }
    "aix-app-01"  = { pvm_instance_id = "10e2c468-65e9-4746-8fb8-1a18c8a50516" }
    "rhel-web-01" = { pvm_instance_id = "7ef1fd0e-d154-4fcd-8cee-9f276708ddd3", priority = "low" }
  }
}

override_data {
  target = data.dr_workspace_subnets.primary
  values = { cidrs = ["10.51.0.0/24", "10.52.0.0/24"] }
}

override_data {
  target = data.dr_workspace_subnets.standby
  values = { cidrs = ["10.61.0.0/24", "10.62.0.0/24"] }
}

run "plan_wires_landing_zone_outputs" {
  command = plan

  assert {
    condition     = dr_orchestrator.this.workspace_id == var.powervs_workspace_guid
    error_message = "The orchestrator must be deployed in the landing zone's workspace."
  }
  assert {
    condition     = dr_orchestrator.this.network_ids == tolist([var.powervs_management_subnet.id])
    error_message = "The orchestrator must sit on the management subnet."
  }
  assert {
    condition     = dr_ha_standby.this.transit_gateway_id == var.transit_gateway_id
    error_message = "The standby must attach to the landing zone's Transit Gateway."
  }
  assert {
    condition     = length(dr_managed_vm.this) == 3
    error_message = "Every protected VM gets a dr_managed_vm."
  }
  assert {
    condition     = dr_managed_vm.this["ibmi-db-01"].priority == "high" && dr_managed_vm.this["aix-app-01"].priority == "medium"
    error_message = "Priorities come from protected_vms, medium by default."
  }
}

run "apply_adds_a_rule_per_powervs_subnet" {
  override_data {
    target = data.dr_summary.this
    values = { managed_vm_count = 3 }
  }

  assert {
    condition     = length(dr_security_group_rule.powervs_inbound) == 4
    error_message = "One inbound rule per private subnet of both workspaces."
  }
  assert {
    condition = alltrue([
      for rule in dr_security_group_rule.powervs_inbound :
      rule.security_group_id == "r006-64c70b0b-0c5b-4a8f-b9fb-35e36a9d7130" && rule.direction == "inbound"
    ])
    error_message = "The rules go into management-sg."
  }
  assert {
    condition     = dr_security_group_rule.powervs_inbound["10.61.0.0/24"].name == "dr-from-10-61-0-0-24"
    error_message = "Rule names are derived from the CIDR."
  }
  assert {
    condition     = output.managed_vm_count == 3
    error_message = "managed_vm_count comes from DR Automation's summary."
  }
}

run "rejects_a_crn_of_another_workspace" {
  command = plan

  variables {
    powervs_workspace_id = "crn:v1:bluemix:public:power-iaas:dal12:a/6f1d1a9c2b7e4c0e9a3b5d7f8e2c4a61:d31dadbd-a438-4b33-b903-56349ba3e995::"
  }

  expect_failures = [dr_orchestrator.this]
}

run "rejects_a_storage_tier_dr_does_not_support" {
  command = plan

  variables {
    tier = "tier2"
  }

  expect_failures = [var.tier]
}
