# memory at least 4 GB
# stage: validate
# path: memory_gb
# expect: memory_gb: 2 GB is below .*use at least 4 GB

resource "dr_orchestrator" "o" {
  name                             = "drbad"
  orchestrator_user                = "admin"
  workspace_id                     = "@PRIMARY_WS@"
  machine_type                     = "s922"
  memory_gb                        = 2
  orchestrator_password_wo         = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
}
