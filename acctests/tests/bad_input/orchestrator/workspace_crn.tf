# workspace_id is the GUID, not the CRN
# stage: validate
# path: workspace_id
# expect: expected the workspace GUID \(the landing zone\'s powervs_workspace_guid\), got the CRN .*its GUID is "@PRIMARY_WS@"

resource "dr_orchestrator" "o" {
  name                             = "drbad"
  orchestrator_user                = "admin"
  workspace_id                     = "crn:v1:bluemix:public:power-iaas:dal10:a/acc:@PRIMARY_WS@::"
  machine_type                     = "s922"
  orchestrator_password_wo         = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
}
