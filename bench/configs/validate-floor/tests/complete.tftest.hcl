# The floor's copy of examples/complete/tests/complete.tftest.hcl: `terraform validate` also
# validates test files, so the floor carries the same variables, overrides, run blocks and
# assertions, written against its terraform_data stand-ins; bench/bench.py puts the example's
# own `variables` block in front of it at run time. It is there to be validated, not
# run: the floor's for_each over apply-time values cannot be planned from nothing (the example
# reads those values from data sources instead).

override_resource {
  target = terraform_data.subnets_primary
  values = { output = { cidrs = ["10.51.0.0/24", "10.52.0.0/24"] } }
}

override_resource {
  target = terraform_data.subnets_standby
  values = { output = { cidrs = ["10.61.0.0/24", "10.62.0.0/24"] } }
}

run "plan_wires_landing_zone_outputs" {
  command = plan

  assert {
    condition     = terraform_data.orchestrator.input.workspace_id == var.powervs_workspace_guid
    error_message = "The orchestrator must be deployed in the landing zone's workspace."
  }
  assert {
    condition     = terraform_data.orchestrator.input.network_ids[0] == var.powervs_management_subnet.id
    error_message = "The orchestrator must sit on the management subnet."
  }
  assert {
    condition     = terraform_data.standby.input.transit_gateway_id == var.transit_gateway_id
    error_message = "The standby must attach to the landing zone's Transit Gateway."
  }
  assert {
    condition     = length(terraform_data.managed_vm) == 3
    error_message = "Every protected VM gets a dr_managed_vm."
  }
  assert {
    condition     = terraform_data.managed_vm["ibmi-db-01"].input.priority == "high" && terraform_data.managed_vm["aix-app-01"].input.priority == "medium"
    error_message = "Priorities come from protected_vms, medium by default."
  }
}

run "apply_adds_a_rule_per_powervs_subnet" {
  override_resource {
    target = terraform_data.summary
    values = { output = { managed_vm_count = 3 } }
  }

  assert {
    condition     = length(terraform_data.security_group_rule) == 4
    error_message = "One inbound rule per private subnet of both workspaces."
  }
  assert {
    condition = alltrue([
      for rule in terraform_data.security_group_rule :
      rule.input.security_group_id == "r006-64c70b0b-0c5b-4a8f-b9fb-35e36a9d7130" && rule.input.direction == "inbound"
    ])
    error_message = "The rules go into management-sg."
  }
  assert {
    condition     = terraform_data.security_group_rule["10.61.0.0/24"].input.name == "dr-from-10-61-0-0-24"
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

  expect_failures = [terraform_data.orchestrator]
}

run "rejects_a_storage_tier_dr_does_not_support" {
  command = plan

  variables {
    tier = "tier2"
  }

  expect_failures = [var.tier]
}
