# CIDRs without host bits; suggests the network
# stage: validate
# path: remote_cidr
# expect: Write "10\.51\.0\.0/24" instead

resource "dr_security_group_rule" "r" {
  security_group_id = "@MGMT_SG@"
  direction         = "inbound"
  remote_cidr       = "10.51.0.7/24"
}
