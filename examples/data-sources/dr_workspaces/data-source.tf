# Every active PowerVS workspace in dal12: candidates for the standby orchestrator.
data "dr_workspaces" "dal12" {
  zone   = "dal12"
  status = "active"
}

output "standby_candidates" {
  value = { for ws in data.dr_workspaces.dal12.workspaces : ws.name => ws.id }
}
