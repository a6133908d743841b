# direction is inbound or outbound
# stage: validate
# path: direction
# expect: direction value must be one of: \["inbound", "outbound"\], got: "sideways"

resource "dr_security_group_rule" "r" {
  security_group_id = "@MGMT_SG@"
  direction         = "sideways"
}
