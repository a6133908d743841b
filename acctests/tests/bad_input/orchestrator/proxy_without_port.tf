# proxy_ip is host:port
# stage: validate
# path: proxy_ip
# expect: proxy_ip: "10\.30\.40\.4" must be host:port or IP:port, e\.g\. "10\.30\.40\.4:3128"

resource "dr_orchestrator" "o" {
  name                             = "drbad"
  orchestrator_user                = "admin"
  workspace_id                     = "@PRIMARY_WS@"
  machine_type                     = "s922"
  proxy_ip                         = "10.30.40.4"
  orchestrator_password_wo         = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
}
