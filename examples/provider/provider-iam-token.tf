# With an IAM token (IBM Schematics)
# Schematics can hand the workspace user's IAM token to Terraform instead of an API key. Without
# arguments the provider reads IC_IAM_TOKEN and IC_IAM_REFRESH_TOKEN; the variables below make
# the hand-over explicit. An API key, when also present, wins.
variable "iam_token" {
  type      = string
  sensitive = true
}

variable "iam_refresh_token" {
  type      = string
  sensitive = true
  default   = null
}

provider "dr" {
  iam_token         = var.iam_token
  iam_refresh_token = var.iam_refresh_token
  region            = "us-south"
}
