# A dr_ha_standby is imported by the id of its orchestrator.
terraform import dr_ha_standby.example 0c5e9f54-7d3a-4f0b-9a8e-3c1b2d4e5f60
