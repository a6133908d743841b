# An orchestrator has at most one standby, so the orchestrator's id names it.
import {
  to = dr_ha_standby.example
  identity = {
    orchestrator_id = "0c5e9f54-7d3a-4f0b-9a8e-3c1b2d4e5f60"
  }
}
