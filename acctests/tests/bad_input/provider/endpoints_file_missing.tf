# endpoints_file_path must be readable
# stage: plan
# path: endpoints_file_path
# expect: endpoints_file_path "/nonexistent/endpoints\.json" cannot be read

provider "dr" {
  endpoints_file_path = "/nonexistent/endpoints.json"
}

data "dr_workspaces" "all" {}
