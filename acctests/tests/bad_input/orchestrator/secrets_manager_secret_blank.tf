# every secrets_manager field names something
# stage: validate
# path: secret
# expect: secrets_manager.secret: expected a non-empty value without leading or trailing spaces \(got 0 characters\)

resource "dr_orchestrator" "o" {
  name              = "drbad"
  orchestrator_user = "admin"
  workspace_id      = "@PRIMARY_WS@"
  machine_type      = "s922"
  secrets_manager {
    guid         = "0a1b2c3d-0000-4000-8000-5ec7e75a5a6e"
    secret       = ""
    secret_group = "dr-secrets"
    region_id    = "us-south"
  }
}
