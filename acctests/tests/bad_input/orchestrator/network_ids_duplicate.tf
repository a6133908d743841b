# each network once
# stage: validate
# path: network_ids
# expect: network_ids\[1\]: "@PRIMARY_MGMT_NET@" is listed twice; each network is attached once

resource "dr_orchestrator" "o" {
  name                             = "drbad"
  orchestrator_user                = "admin"
  workspace_id                     = "@PRIMARY_WS@"
  machine_type                     = "s922"
  network_ids                      = ["@PRIMARY_MGMT_NET@", "@PRIMARY_MGMT_NET@"]
  orchestrator_password_wo         = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
}
