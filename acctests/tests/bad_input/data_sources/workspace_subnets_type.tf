# subnet types of PowerVS
# stage: validate
# path: type
# expect: type value must be one of: \["vlan", "pub-vlan", "dhcp-vlan"\], got: "private"

data "dr_workspace_subnets" "d" {
  workspace_id = "@PRIMARY_WS@"
  type         = "private"
}
