# ports are 1 to 65535
# stage: validate
# path: port_max
# expect: port_max must be between 1 and 65535, got 70000

resource "dr_security_group_rule" "r" {
  security_group_id = "@MGMT_SG@"
  direction         = "inbound"
  protocol          = "udp"
  port_min          = 1
  port_max          = 70000
}
