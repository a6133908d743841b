# Warnings and errors DR Automation recorded for a deployment.
data "dr_events" "problems" {
  orchestrator_id = "0c5e9f54-7d3a-4f0b-9a8e-3c1b2d4e5f60"
  level           = "error"
}

output "errors" {
  value = [for e in data.dr_events.problems.events : "${e.time} ${e.action}: ${e.message}"]
}
