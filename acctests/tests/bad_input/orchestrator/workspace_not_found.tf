# the workspace must exist; lists the ones that do
# stage: plan
# path: workspace_id
# expect: workspace_id: no PowerVS workspace has the GUID "00000000-0000-4000-8000-000000000000"
# expect: Workspaces in this account: .*@PRIMARY_WS@ \(slz-dal10-power-workspace, dal10\)
# base: orchestrator

resource "dr_orchestrator" "o" {
  workspace_id = "00000000-0000-4000-8000-000000000000"
}
