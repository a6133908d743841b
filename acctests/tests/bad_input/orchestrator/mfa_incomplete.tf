# MFA's three settings go together
# stage: validate
# path: block
# expect: Incomplete MFA settings
# expect: MFA needs client_id, tenant_name and client_secret_wo \(or client_secret\) together; missing: tenant_name, client_secret_wo \(or client_secret\)
# base: orchestrator

resource "dr_orchestrator" "o" {
  client_id = "mfa-client"
}
