# the endpoints file is IBM's JSON shape
# stage: plan
# path: endpoints_file_path
# expect: is not an IBM endpoints file: expected a JSON object such as .*IBMCLOUD_IAM_API_ENDPOINT

provider "dr" {
  endpoints_file_path = "${path.module}/main.tf"
}

data "dr_workspaces" "all" {}
