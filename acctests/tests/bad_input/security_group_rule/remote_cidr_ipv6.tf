# VPC rules here are IPv4
# stage: validate
# path: remote_cidr
# expect: IPv4 only

resource "dr_security_group_rule" "r" {
  security_group_id = "@MGMT_SG@"
  direction         = "inbound"
  remote_cidr       = "fd00::/64"
}
