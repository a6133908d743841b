# machine types DR knows
# stage: validate
# path: machine_type
# expect: machine_type: "p99" is not a Power machine type DR Automation supports\. Use one of: s922, e880, e980
# base: orchestrator

resource "dr_orchestrator" "o" {
  machine_type = "p99"
}
