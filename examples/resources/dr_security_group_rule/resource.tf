# Lets the PowerVS management subnet reach HTTPS services in the VPC (proxy, private endpoints).
resource "dr_security_group_rule" "example" {
  security_group_id = "r006-64c70b0b-0c5b-4a8f-b9fb-35e36a9d7130"
  direction         = "inbound"
  remote_cidr       = "10.51.0.0/24"
  protocol          = "tcp"
  port_min          = 443
  port_max          = 443
  name              = "allow-dr-mgmt-https"
}

# ICMP echo requests from the standby workspace's subnet.
resource "dr_security_group_rule" "ping_from_standby" {
  security_group_id = "r006-64c70b0b-0c5b-4a8f-b9fb-35e36a9d7130"
  direction         = "inbound"
  remote_cidr       = "10.61.0.0/24"
  protocol          = "icmp"
  icmp_type         = 8
  icmp_code         = 0
}
