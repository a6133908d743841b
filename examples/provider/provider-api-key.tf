# With an API key from a variable
variable "ibmcloud_api_key" {
  description = "IBM Cloud API key (set TF_VAR_ibmcloud_api_key)."
  type        = string
  sensitive   = true
}

provider "dr" {
  ibmcloud_api_key = var.ibmcloud_api_key
  region           = "us-south"
  zone             = "dal10"
  max_retries      = 5
  request_timeout  = 120
}
