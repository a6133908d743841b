# a CIDR, not an address
# stage: validate
# path: local_cidr
# expect: for this one address write "10\.30\.20\.1/32"

resource "dr_security_group_rule" "r" {
  security_group_id = "@MGMT_SG@"
  direction         = "inbound"
  local_cidr        = "10.30.20.1"
}
