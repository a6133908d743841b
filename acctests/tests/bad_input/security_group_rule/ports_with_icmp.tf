# ports need tcp or udp
# stage: validate
# path: port_min
# expect: port_min is only allowed with protocol "tcp" or "udp"

resource "dr_security_group_rule" "r" {
  security_group_id = "@MGMT_SG@"
  direction         = "inbound"
  protocol          = "icmp"
  port_min          = 1
  port_max          = 2
}
