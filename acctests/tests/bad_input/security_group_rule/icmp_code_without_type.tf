# icmp_code needs icmp_type
# stage: validate
# path: icmp_code
# expect: icmp_code needs icmp_type

resource "dr_security_group_rule" "r" {
  security_group_id = "@MGMT_SG@"
  direction         = "inbound"
  protocol          = "icmp"
  icmp_code         = 0
}
