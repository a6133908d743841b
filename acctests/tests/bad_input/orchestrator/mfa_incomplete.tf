# MFA's three settings go together
# stage: validate
# path: block
# expect: Incomplete MFA settings
# expect: MFA needs client_id, tenant_name and client_secret_wo \(or client_secret\) together; missing: tenant_name, client_secret_wo \(or client_secret\)

resource "dr_orchestrator" "o" {
  name                             = "drbad"
  orchestrator_user                = "admin"
  workspace_id                     = "@PRIMARY_WS@"
  machine_type                     = "s922"
  orchestrator_password_wo         = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
  client_id                        = "mfa-client"
}
