# visibility is public or private
# stage: validate
# path: visibility
# expect: visibility value must be one of: \["public", "private"\], got: "internal"

provider "dr" {
  visibility = "internal"
}

data "dr_workspaces" "all" {}
