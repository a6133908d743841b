# names fit PowerVS's 47-character VM names
# stage: validate
# path: name
# expect: must be 1 to \d+ letters, digits, '-' or '_'.*at most 47 characters
# base: orchestrator

resource "dr_orchestrator" "o" {
  name = "dddddddddddddddddddddddddddddddddddddddd"
}
