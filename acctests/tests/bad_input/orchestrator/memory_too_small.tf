# memory at least 4 GB
# stage: validate
# path: memory_gb
# expect: memory_gb: 2 GB is below .*use at least 4 GB
# base: orchestrator

resource "dr_orchestrator" "o" {
  memory_gb = 2
}
