# CIDR blocks only
# stage: validate
# path: -
# expect: Invalid value for "cidrs" parameter: element \[1\]: "mgmt_net" is not a CIDR block

output "o" {
  value = provider::dr::cidr_overlaps(["10.0.0.0/24", "mgmt_net"])
}
