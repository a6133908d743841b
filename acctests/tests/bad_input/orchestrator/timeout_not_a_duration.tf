# timeouts are Go durations
# stage: validate
# path: create
# expect: "soon"
# expect: (duration|such as "?30m"?|"10m")
# base: orchestrator

resource "dr_orchestrator" "o" {
  timeouts {
    create = "soon"
  }
}
