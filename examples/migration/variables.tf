variable "region" {
  description = "IBM Cloud region of the PowerVS workspaces."
  type        = string
  default     = "us-south"
}

variable "zone" {
  description = "PowerVS zone of the primary workspace, such as dal10."
  type        = string
}

variable "dr_instance_guid" {
  description = "GUID of the DR Automation service instance: the instance_id of ibm_pdr_managedr (terraform state show ibm_pdr_managedr.dr)."
  type        = string
}

variable "deployment_name" {
  description = "Name of that service instance (the name argument of its ibm_resource_instance)."
  type        = string
}

variable "orchestrator_user" {
  description = "orchestrator_name of ibm_pdr_managedr."
  type        = string
}

variable "orchestrator_password" {
  description = "orchestrator_password of ibm_pdr_managedr. Write-only here: sent when a deployment is created, never stored."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "primary_workspace_guid" {
  description = "orchestrator_workspace_id of ibm_pdr_managedr."
  type        = string
}

variable "machine_type" {
  description = "machine_type of ibm_pdr_managedr."
  type        = string
  default     = "s922"
}

variable "ssh_key_name" {
  description = "ssh_key_name of ibm_pdr_managedr."
  type        = string
}

variable "standby_workspace_guid" {
  description = "standby_orchestrator_workspace_id of ibm_pdr_managedr (orchestrator_ha = true)."
  type        = string
}

variable "transit_gateway_id" {
  description = "The Transit Gateway the standby workspace is attached to (gateway of the ibm_tg_connection)."
  type        = string
}

variable "security_group_id" {
  description = "The VPC security group of the ibm_is_security_group_rule that lets the PowerVS subnet in."
  type        = string
}

variable "security_group_rule_id" {
  description = "rule_id of that ibm_is_security_group_rule."
  type        = string
}

variable "powervs_management_subnet_cidr" {
  description = "The PowerVS subnet that rule lets in (its remote)."
  type        = string
}

variable "protected_vms" {
  description = "The VMs the orchestrator already manages, by a key of your choice: their PowerVS instance ids (vm_id of data.ibm_pdr_managed_vm_list) and recovery priority (ksysmgr query workgroup)."
  type = map(object({
    pvm_instance_id = string
    priority        = optional(string, "medium")
  }))
  default = {}
}

variable "ssh_private_key" {
  description = "Private key (OpenSSH format) of the orchestrator's SSH key."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "access_host_or_ip" {
  description = "The landing zone's jump server, host[:port]."
  type        = string
}
