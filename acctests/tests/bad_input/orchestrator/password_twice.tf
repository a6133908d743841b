# exactly one password argument
# stage: validate
# path: orchestrator_password_wo
# expect: orchestrator_password and orchestrator_password_wo are both set; set exactly one
# base: orchestrator

resource "dr_orchestrator" "o" {
  orchestrator_password = "Orch-Passw0rd!"
}
