# A non-disruptive DR drill: copies of the protected VMs boot in an isolated network at the DR
# site and are removed again; the CLI shows each VM's recovery time. Production keeps running.
# Run it from the CLI (Terraform 1.14 or later):
#
#   terraform apply -invoke=action.dr_test.drill
#
# orchestrator_id is the id of a dr_orchestrator (dr_orchestrator.example.id). For a recurring
# test, see dr_test_schedule.
locals {
  orchestrator_id = "0c5e9f54-7d3a-4f0b-9a8e-3c1b2d4e5f60"
  erp_db_vm_id    = "ac2cc667-9ba3-463f-b4ce-4b8c7553369d"
}

action "dr_test" "drill" {
  config {
    orchestrator_id = local.orchestrator_id
  }
}

# Re-tests one VM (and its workgroup) whenever its DR settings change. The action is checked
# at plan time and its VM must already be managed then, so the trigger fires on updates;
# after the first registration, run it once with -invoke=action.dr_test.erp_db.
action "dr_test" "erp_db" {
  config {
    orchestrator_id = local.orchestrator_id
    vm_ids          = [local.erp_db_vm_id]
    timeout         = "90m"
  }
}

resource "dr_managed_vm" "erp_db" {
  orchestrator_id = local.orchestrator_id
  pvm_instance_id = local.erp_db_vm_id
  priority        = "high"
  workgroup_name  = "sap-prod"

  lifecycle {
    action_trigger {
      events  = [after_update]
      actions = [action.dr_test.erp_db]
    }
  }
}
