# 1 to 10 networks
# stage: validate
# path: network_ids
# expect: the orchestrator takes 1 to 10 private networks, got 11
# base: ha_standby

resource "dr_ha_standby" "s" {
  network_ids = ["n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10"]
}
