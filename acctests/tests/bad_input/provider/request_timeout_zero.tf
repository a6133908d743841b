# request_timeout is 1 to 3600 seconds
# stage: validate
# path: request_timeout
# expect: request_timeout value must be a whole number between 1 and 3600, got: 0

provider "dr" {
  request_timeout = 0
}

data "dr_workspaces" "all" {}
