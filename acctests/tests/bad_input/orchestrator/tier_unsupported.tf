# DR replicates tier1 and tier3 only
# stage: validate
# path: tier
# expect: tier: "tier0" is not a storage tier DR Automation supports
# expect: tier1 \(10 IOPS/GB\) or tier3 \(3 IOPS/GB\)

resource "dr_orchestrator" "o" {
  name                             = "drbad"
  orchestrator_user                = "admin"
  workspace_id                     = "@PRIMARY_WS@"
  machine_type                     = "s922"
  tier                             = "tier0"
  orchestrator_password_wo         = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
}
