# 1 to 10 networks
# stage: validate
# path: network_ids
# expect: the orchestrator takes 1 to 10 private networks, got 0
# base: orchestrator

resource "dr_orchestrator" "o" {
  network_ids = []
}
