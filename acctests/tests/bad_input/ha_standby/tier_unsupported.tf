# DR replicates tier1 and tier3 only
# stage: validate
# path: tier
# expect: tier: "tier5k" is not a storage tier DR Automation supports
# expect: tier1 \(10 IOPS/GB\) or tier3 \(3 IOPS/GB\)
# base: ha_standby

resource "dr_ha_standby" "s" {
  tier = "tier5k"
}
