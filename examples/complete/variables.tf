# The first group is named after the outputs of the PowerVS landing zone
# (terraform-ibm-modules/powervs-infrastructure), so its outputs can be passed through as they are.

variable "powervs_workspace_guid" {
  description = "GUID of the primary PowerVS workspace (landing zone output powervs_workspace_guid)."
  type        = string
}

variable "powervs_workspace_id" {
  description = "CRN of the primary PowerVS workspace (landing zone output powervs_workspace_id)."
  type        = string
}

variable "powervs_zone" {
  description = "Zone of the primary workspace, such as dal10 (landing zone output powervs_zone)."
  type        = string
}

variable "powervs_management_subnet" {
  description = "Management subnet of the primary workspace (landing zone output powervs_management_subnet)."
  type = object({
    name = string
    id   = string
    cidr = string
  })
}

variable "powervs_ssh_public_key" {
  description = "SSH key of the workspaces (landing zone output powervs_ssh_public_key); only its name is used."
  type = object({
    name = string
  })
}

variable "transit_gateway_id" {
  description = "Transit Gateway connecting the VPC and the primary workspace (landing zone output transit_gateway_id)."
  type        = string
}

variable "vpc_data" {
  description = "VPCs of the landing zone (output vpc_data); their security groups receive the PowerVS rules."
  type = list(object({
    vpc_id   = string
    vpc_name = string
    security_group = list(object({
      group_id   = string
      group_name = string
    }))
  }))
}

variable "access_host_or_ip" {
  description = "Jump server in front of the private PowerVS subnets, host[:port] (landing zone output access_host_or_ip). The provider reaches the orchestrator through it over SSH. Null: connect directly (VPN, Direct Link, a Schematics private worker)."
  type        = string
  default     = null
}

variable "proxy_host_or_ip_port" {
  description = "Proxy the orchestrator reaches IBM Cloud through, IP:port (landing zone output proxy_host_or_ip_port). Null for none."
  type        = string
  default     = null
}

# The standby workspace (for example from the power-workspace module: pi_workspace_guid and
# pi_private_subnet_1).

variable "standby_workspace_guid" {
  description = "GUID of the PowerVS workspace for the HA standby orchestrator, in another zone."
  type        = string
}

variable "standby_management_subnet" {
  description = "Private subnet of the standby workspace for the standby orchestrator."
  type = object({
    name = string
    id   = string
    cidr = string
  })
}

# The DR (backup) site: a workspace in the primary's GRS partner location, in another region.

variable "backup_workspace_guid" {
  description = "GUID of the PowerVS workspace where KSYS creates the backup VMs (the primary's GRS partner location). Null: the partner KSYS pairs with the primary workspace."
  type        = string
  default     = null
}

# Orchestrator access: managing VMs runs ksysmgr on the orchestrator over SSH.

variable "ssh_private_key" {
  description = "Private key of powervs_ssh_public_key (the landing zone's ssh_private_key input): root's login on the orchestrator and the login on the jump server. Null: root logs in with orchestrator_password."
  type        = string
  sensitive   = true
  ephemeral   = true
  default     = null
}

variable "jump_host_user" {
  description = "User on the jump server."
  type        = string
  default     = "root"
}

variable "jump_host_keys" {
  description = "Host keys of the jump server (OpenSSH public-key lines) to pin. Empty: orchestrator_known_hosts_file."
  type        = list(string)
  default     = []
}

variable "orchestrator_known_hosts_file" {
  description = "known_hosts file for the orchestrators (and the jump server when jump_host_keys is empty); new orchestrator keys are added on first use."
  type        = string
  default     = "~/.ssh/known_hosts"
}

# DR settings.

variable "ibmcloud_api_key" {
  description = "IBM Cloud API key. Null: the IC_API_KEY environment variable (or Schematics' IAM token)."
  type        = string
  sensitive   = true
  default     = null
}

variable "region" {
  description = "IBM Cloud region of the VPC and the Transit Gateway."
  type        = string
  default     = "us-south"
}

variable "prefix" {
  description = "Name of the DR deployment; the orchestrator VMs are named <prefix>-orchestrator and <prefix>-standby."
  type        = string
  default     = "slz-dr"
}

variable "orchestrator_user" {
  description = "Login of the orchestrator UI."
  type        = string
  default     = "dradmin"
}

variable "orchestrator_password" {
  description = "Password of the orchestrator UI user. Write-only: never stored in plan or state."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "orchestrator_password_version" {
  description = "Change to deploy the orchestrator again with a new orchestrator_password."
  type        = number
  default     = 1
}

variable "machine_type" {
  description = "Power machine type of the orchestrator VMs."
  type        = string
  default     = "s922"
}

variable "tier" {
  description = "Storage tier of the orchestrator VMs: tier1 or tier3."
  type        = string
  default     = "tier1"

  validation {
    condition     = contains(["tier1", "tier3"], var.tier)
    error_message = "DR supports the storage tiers tier1 and tier3 only."
  }
}

variable "protected_vms" {
  description = "VMs of the primary workspace to protect, by a name of your choice; high priority is recovered first."
  type = map(object({
    pvm_instance_id = string
    priority        = optional(string, "medium")
    workgroup_name  = optional(string)
  }))
  default = {}
}

variable "security_group_name" {
  description = "Security group of vpc_data that receives the inbound rules for the PowerVS subnets."
  type        = string
  default     = "management-sg"
}
