# Brings the VMs back to the primary site after a failover. Like a failover it is run from the
# CLI when the primary site is healthy again (Terraform 1.14 or later):
#
#   terraform apply -invoke=action.dr_failback.all
#
# orchestrator_id is the id of a dr_orchestrator (dr_orchestrator.example.id).
action "dr_failback" "all" {
  config {
    orchestrator_id = "0c5e9f54-7d3a-4f0b-9a8e-3c1b2d4e5f60"
  }
}

# One VM (with the rest of its workgroup) back first, to check the primary site.
action "dr_failback" "db_first" {
  config {
    orchestrator_id = "0c5e9f54-7d3a-4f0b-9a8e-3c1b2d4e5f60"
    vm_ids          = ["ac2cc667-9ba3-463f-b4ce-4b8c7553369d"]
    timeout         = "45m"
  }
}
