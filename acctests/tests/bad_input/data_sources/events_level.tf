# event levels of DR Automation
# stage: validate
# path: level
# expect: level value must be one of: \["notice", "info", "warning", "error"\], got: "debug"

data "dr_events" "d" {
  orchestrator_id = "@ORCHESTRATOR_ID@"
  level           = "debug"
}
