# ports come in pairs
# stage: validate
# path: block
# expect: port_max is required with port_min.*Set both port_min and port_max

resource "dr_security_group_rule" "r" {
  security_group_id = "@MGMT_SG@"
  direction         = "inbound"
  protocol          = "tcp"
  port_min          = 80
}
