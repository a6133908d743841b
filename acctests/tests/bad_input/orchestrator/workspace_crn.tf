# workspace_id is the GUID, not the CRN
# stage: validate
# path: workspace_id
# expect: expected the workspace GUID \(the landing zone\'s powervs_workspace_guid\), got the CRN .*its GUID is "@PRIMARY_WS@"
# base: orchestrator

resource "dr_orchestrator" "o" {
  workspace_id = "crn:v1:bluemix:public:power-iaas:dal10:a/acc:@PRIMARY_WS@::"
}
