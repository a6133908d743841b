# the orchestrator is created in the same run (its id unknown at plan), but the workspace is
# known: a SLES VM is refused at plan, before anything is deployed
# stage: plan
# path: pvm_instance_id
# expect: Operating system not supported by DR.*sles-util-01.*osType "sles".*AIX, IBM i and RHEL

resource "dr_orchestrator" "o" {
  name                             = "drbad"
  orchestrator_user                = "admin"
  workspace_id                     = "@PRIMARY_WS@"
  machine_type                     = "s922"
  network_ids                      = ["@PRIMARY_MGMT_NET@"]
  orchestrator_password_wo         = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
}

resource "dr_managed_vm" "m" {
  orchestrator_id = dr_orchestrator.o.id
  workspace_id    = dr_orchestrator.o.workspace_id
  pvm_instance_id = "@SLES_VM@"
}
