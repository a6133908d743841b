# passwords are printable ASCII without spaces
# stage: validate
# path: orchestrator_password_wo
# expect: the password must be 1 to 256 printable ASCII characters without spaces \(got 9 characters\)
# base: orchestrator

resource "dr_orchestrator" "o" {
  orchestrator_password_wo = "Orch Pass"
}
