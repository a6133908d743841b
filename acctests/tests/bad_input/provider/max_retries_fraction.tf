# max_retries is a whole number
# stage: validate
# path: max_retries
# expect: max_retries value must be a whole number between 0 and 100, got: 2\.5

provider "dr" {
  max_retries = 2.5
}

data "dr_workspaces" "all" {}
