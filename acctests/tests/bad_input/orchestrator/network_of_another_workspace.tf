# networks of the workspace only; lists them
# stage: plan
# path: network_ids
# expect: network_ids\[0\]: "@SECONDARY_MGMT_NET@" is not a network of workspace slz-dal10-power-workspace .*Its private networks: @PRIMARY_MGMT_NET@ \(mgmt_net, 10\.51\.0\.0/24\)
# base: orchestrator

resource "dr_orchestrator" "o" {
  network_ids = ["@SECONDARY_MGMT_NET@"]
}
