# exactly one API key argument
# stage: validate
# path: api_key_wo
# expect: api_key and api_key_wo are both set; set exactly one
# base: orchestrator

resource "dr_orchestrator" "o" {
  api_key = "key-one"
  api_key_wo = "key-two"
  api_key_wo_version = 1
}
