# the VPC's protocols
# stage: validate
# path: protocol
# expect: protocol value must be one of: \["tcp", "udp", "icmp", "icmp_tcp_udp", "any"\], got: "gre"

resource "dr_security_group_rule" "r" {
  security_group_id = "@MGMT_SG@"
  direction         = "inbound"
  protocol          = "gre"
}
