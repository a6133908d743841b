# port_min <= port_max
# stage: validate
# path: port_min
# expect: port_min \(90\) must be less than or equal to port_max \(80\)

resource "dr_security_group_rule" "r" {
  security_group_id = "@MGMT_SG@"
  direction         = "inbound"
  protocol          = "tcp"
  port_min          = 90
  port_max          = 80
}
