# The identity is the DR Automation service instance GUID (not its CRN). The password is not
# readable from the API: keep orchestrator_password_wo in the configuration.
import {
  to = dr_orchestrator.example
  identity = {
    id = "0c5e9f54-7d3a-4f0b-9a8e-3c1b2d4e5f60"
  }
}
