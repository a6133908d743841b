# The inbound rules of a VPC security group that dr_security_group_rule can manage.
list "dr_security_group_rule" "inbound" {
  provider = dr

  config {
    security_group_id = "r006-64c70b0b-0c5b-4a8f-b9fb-35e36a9d7130"
    direction         = "inbound"
  }
}
