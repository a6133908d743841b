# endpoints must be http(s) URLs (the URL may come from the block, the endpoints file or the
# environment, so the diagnostic names the service and points at the provider block)
# stage: plan
# path: block
# expect: The vpc endpoint is "ftp://vpc\.example\.com"; it must be an http:// or https:// URL

provider "dr" {
  endpoints {
    vpc = "ftp://vpc.example.com"
  }
}

data "dr_workspaces" "all" {}
