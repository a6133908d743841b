# the workspace must exist
# stage: plan
# path: workspace_id
# expect: PowerVS workspace not found.*"no-such-workspace"

data "dr_workspace_subnets" "d" {
  workspace_id = "no-such-workspace"
}
