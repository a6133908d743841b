# The standby orchestrator of one DR deployment (none when it runs without high availability).
list "dr_ha_standby" "standby" {
  provider = dr

  config {
    orchestrator_id = "0c5e9f54-7d3a-4f0b-9a8e-3c1b2d4e5f60"
  }
}
