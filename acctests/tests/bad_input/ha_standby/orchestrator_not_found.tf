# orchestrator_id names an existing deployment
# stage: plan
# path: orchestrator_id
# expect: orchestrator_id: no DR deployment has the id "@ORCHESTRATOR_ID@"; use the id of a dr_orchestrator
# base: ha_standby

resource "dr_ha_standby" "s" {

}
