terraform {
  # terraform query and -generate-config-out need 1.14.
  required_version = ">= 1.14"
  required_providers {
    dr = {
      source  = "powervs/dr"
      version = "~> 0.1"
    }
  }
}

# Credentials come from IC_API_KEY; orchestrator access from DR_ORCHESTRATOR_SSH_* and
# DR_JUMP_HOST_* (see the provider's orchestrator_ssh block).
provider "dr" {
  region = "us-south"
}
