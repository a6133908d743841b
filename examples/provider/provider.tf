terraform {
  required_version = ">= 1.6"
  required_providers {
    dr = {
      source  = "powervs/dr"
      version = "~> 0.1"
    }
  }
}

# Credentials come from IC_API_KEY (or IBMCLOUD_API_KEY), as for the IBM provider.
provider "dr" {
  region = "us-south"
  zone   = "dal10"
}
