# the security group must exist
# stage: plan
# path: security_group_id
# expect: No VPC security group has the id "r006-no-such-group"

resource "dr_security_group_rule" "r" {
  security_group_id = "r006-no-such-group"
  direction         = "inbound"
}
