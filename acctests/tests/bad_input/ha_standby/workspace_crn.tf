# workspace_id is the GUID, not the CRN
# stage: validate
# path: workspace_id
# expect: expected the workspace GUID .*got the CRN
# base: ha_standby

resource "dr_ha_standby" "s" {
  workspace_id = "crn:v1:bluemix:public:power-iaas:dal12:a/acc:@SECONDARY_WS@::"
}
