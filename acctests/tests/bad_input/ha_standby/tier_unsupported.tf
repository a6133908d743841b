# DR replicates tier1 and tier3 only
# stage: validate
# path: tier
# expect: tier: "tier5k" is not a storage tier DR Automation supports
# expect: tier1 \(10 IOPS/GB\) or tier3 \(3 IOPS/GB\)

resource "dr_ha_standby" "s" {
  orchestrator_id                  = "@ORCHESTRATOR_ID@"
  workspace_id                     = "@SECONDARY_WS@"
  transit_gateway_id               = "@TG@"
  machine_type                     = "s922"
  tier                             = "tier5k"
  orchestrator_password_wo         = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
}
