# names are letters, digits, - and _
# stage: validate
# path: name
# expect: name: "dr prod!" must be 1 to \d+ letters, digits, '-' or '_'
# base: orchestrator

resource "dr_orchestrator" "o" {
  name = "dr prod!"
}
