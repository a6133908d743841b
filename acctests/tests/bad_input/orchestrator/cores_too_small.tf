# cores at least 0.5 in steps of 0.25
# stage: validate
# path: cores
# expect: cores: 0\.3 cores is not a PowerVS shared-processor size; use at least 0\.5, in steps of 0\.25
# base: orchestrator

resource "dr_orchestrator" "o" {
  cores = 0.3
}
