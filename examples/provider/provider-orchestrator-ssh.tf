# With orchestrator access over SSH (jump host, pinned host keys)
# Managed VMs, failover/failback, DR tests and their schedules run KSYS's ksysmgr on the
# orchestrator LPAR over SSH. The provider connects itself (no ssh binary), through the landing
# zone's jump server, and refuses host keys other than the pinned ones. Every argument also
# falls back to a DR_ORCHESTRATOR_SSH_* / DR_JUMP_HOST_* environment variable.
variable "orchestrator_private_key" {
  description = "Private key of the deployment's ssh_key_name, e.g. file(\"~/.ssh/dr_orchestrator\")."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "orchestrator_host_keys" {
  description = "Lines of /etc/ssh/ssh_host_ed25519_key.pub of the primary and standby orchestrators."
  type        = list(string)
}

variable "jump_host" {
  description = "The landing zone's access_host_or_ip output."
  type        = string
}

variable "jump_host_key" {
  description = "Line of the jump server's /etc/ssh/ssh_host_ed25519_key.pub."
  type        = string
}

provider "dr" {
  region = "us-south"
  zone   = "dal10"

  orchestrator_ssh {
    private_key = var.orchestrator_private_key
    host_keys   = var.orchestrator_host_keys

    jump_host {
      address   = "${var.jump_host}:22"
      host_keys = [var.jump_host_key]
    }
  }
}
