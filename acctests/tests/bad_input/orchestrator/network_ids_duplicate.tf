# each network once
# stage: validate
# path: network_ids
# expect: network_ids\[1\]: "@PRIMARY_MGMT_NET@" is listed twice; each network is attached once
# base: orchestrator

resource "dr_orchestrator" "o" {
  network_ids = ["@PRIMARY_MGMT_NET@", "@PRIMARY_MGMT_NET@"]
}
