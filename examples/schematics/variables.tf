# Schematics workspace variables. Mark ssh_private_key and orchestrator_password as sensitive
# in the workspace settings.

variable "region" {
  description = "IBM Cloud region of the PowerVS workspaces."
  type        = string
  default     = "us-south"
}

variable "zone" {
  description = "PowerVS zone of the primary workspace, such as dal10."
  type        = string
}

variable "prefix" {
  description = "Name of the DR deployment."
  type        = string
  default     = "dr"
}

variable "powervs_workspace_guid" {
  description = "GUID of the primary PowerVS workspace (landing zone output powervs_workspace_guid)."
  type        = string
}

variable "powervs_management_subnet_id" {
  description = "Id of the primary workspace's management subnet."
  type        = string
}

variable "powervs_ssh_key_name" {
  description = "PowerVS SSH key of the orchestrator (landing zone output powervs_ssh_public_key.name)."
  type        = string
}

variable "backup_workspace_guid" {
  description = "GUID of the DR workspace in the primary's GRS partner location. Null: KSYS's partner of the primary."
  type        = string
  default     = null
}

variable "access_host_or_ip" {
  description = "The landing zone's jump server, host[:port] (its output access_host_or_ip)."
  type        = string
}

variable "jump_host_keys" {
  description = "Host keys of the jump server to pin (OpenSSH public-key lines)."
  type        = list(string)
}

variable "ssh_private_key" {
  description = "Private key of powervs_ssh_key_name: the login on the jump server and root's on the orchestrator."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "orchestrator_password" {
  description = "Password of the orchestrator (its UI user and root)."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "orchestrator_password_version" {
  description = "Change to deploy the orchestrator again with a new orchestrator_password."
  type        = number
  default     = 1
}

variable "protected_vms" {
  description = "VMs of the primary workspace to protect, by a name of your choice."
  type = map(object({
    pvm_instance_id = string
    priority        = optional(string, "medium")
  }))
  default = {}
}
