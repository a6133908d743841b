# machine types DR knows
# stage: validate
# path: machine_type
# expect: machine_type: "z16" is not a Power machine type DR Automation supports\. Use one of: s922
# base: ha_standby

resource "dr_ha_standby" "s" {
  machine_type = "z16"
}
