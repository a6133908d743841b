# DR replicates tier1 and tier3 only
# stage: validate
# path: tier
# expect: tier: "tier0" is not a storage tier DR Automation supports
# expect: tier1 \(10 IOPS/GB\) or tier3 \(3 IOPS/GB\)
# base: orchestrator

resource "dr_orchestrator" "o" {
  tier = "tier0"
}
