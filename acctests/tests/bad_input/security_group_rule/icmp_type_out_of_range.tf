# ICMP types are 0 to 254
# stage: validate
# path: icmp_type
# expect: icmp_type must be between 0 and 254, got 255

resource "dr_security_group_rule" "r" {
  security_group_id = "@MGMT_SG@"
  direction         = "inbound"
  protocol          = "icmp"
  icmp_type         = 255
}
