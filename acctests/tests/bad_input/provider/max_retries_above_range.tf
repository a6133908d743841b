# max_retries is 0 to 100
# stage: validate
# path: max_retries
# expect: max_retries value must be a whole number between 0 and 100, got: 500

provider "dr" {
  max_retries = 500
}

data "dr_workspaces" "all" {}
