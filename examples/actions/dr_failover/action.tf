# Fails the protected VMs over to the DR site, high priority first and each workgroup together.
# A failover is a deliberate decision, so it is run from the CLI (Terraform 1.14 or later):
#
#   terraform apply -invoke=action.dr_failover.all
#
# Ctrl-C cancels it and waits until every VM runs where it ran before. orchestrator_id is the
# id of a dr_orchestrator (dr_orchestrator.example.id) that has a dr_ha_standby.
action "dr_failover" "all" {
  config {
    orchestrator_id = "0c5e9f54-7d3a-4f0b-9a8e-3c1b2d4e5f60"
  }
}

# Only the SAP workgroup (a workgroup always moves as a whole), with more time than the
# default two hours.
action "dr_failover" "sap" {
  config {
    orchestrator_id = "0c5e9f54-7d3a-4f0b-9a8e-3c1b2d4e5f60"
    workgroups      = ["sap-prod"]
    timeout         = "3h"
  }
}
