# workspace_id is the GUID, not the CRN
# stage: validate
# path: workspace_id
# expect: expected the workspace GUID .*got the CRN

resource "dr_ha_standby" "s" {
  orchestrator_id                  = "@ORCHESTRATOR_ID@"
  workspace_id                     = "crn:v1:bluemix:public:power-iaas:dal12:a/acc:@SECONDARY_WS@::"
  transit_gateway_id               = "@TG@"
  machine_type                     = "s922"
  orchestrator_password_wo         = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
}
