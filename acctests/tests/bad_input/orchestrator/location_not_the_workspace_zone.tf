# location_id is the workspace's zone
# stage: plan
# path: location_id
# expect: location_id: "dal12" is not the zone of workspace slz-dal10-power-workspace .* which is "dal10"
# base: orchestrator

resource "dr_orchestrator" "o" {
  location_id = "dal12"
}
