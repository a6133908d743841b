terraform {
  # Write-only arguments need 1.11; IBM Schematics offers 1.12 and later.
  required_version = ">= 1.11"

  required_providers {
    dr = {
      source  = "powervs/dr"
      version = "~> 0.1"
    }
  }
}

# Credentials: var.ibmcloud_api_key, else IC_API_KEY / IBMCLOUD_API_KEY, else (Schematics)
# IC_IAM_TOKEN. Endpoints: IC_ENDPOINTS_FILE_PATH or the IBMCLOUD_*_API_ENDPOINT variables.
provider "dr" {
  ibmcloud_api_key = var.ibmcloud_api_key
  region           = var.region
  zone             = var.powervs_zone
}
