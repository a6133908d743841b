# IBM's two orchestrator location types
# stage: validate
# path: orchestrator_location_type
# expect: orchestrator_location_type value must be one of: \["off-premises", "on-premises"\], got: "on-prem"
# base: orchestrator

resource "dr_orchestrator" "o" {
  orchestrator_location_type = "on-prem"
}
