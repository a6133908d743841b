# Every DR deployment of one resource group, with their full state (include_resource) so the
# query output shows workspace, machine type and status.
list "dr_orchestrator" "all" {
  provider         = dr
  include_resource = true

  config {
    resource_group_id = "f893a2eefb32455eada3abd5b65605d3"
  }
}
