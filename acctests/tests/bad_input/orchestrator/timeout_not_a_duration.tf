# timeouts are Go durations
# stage: validate
# path: create
# expect: "soon"
# expect: (duration|such as "?30m"?|"10m")

resource "dr_orchestrator" "o" {
  name                             = "drbad"
  orchestrator_user                = "admin"
  workspace_id                     = "@PRIMARY_WS@"
  machine_type                     = "s922"
  orchestrator_password_wo         = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
  timeouts {
    create = "soon"
  }
}
