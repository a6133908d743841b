# The private subnets of a PowerVS workspace, e.g. to allow them in a VPC security group.
data "dr_workspace_subnets" "primary" {
  workspace_id = "71bb54d8-d101-45b9-8fee-1792f2a41d60"
  type         = "vlan"
}

output "primary_cidrs" {
  value = data.dr_workspace_subnets.primary.cidr_by_name
}
