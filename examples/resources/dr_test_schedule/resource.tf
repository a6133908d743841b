# A DR test every Sunday at 02:00 Dallas time. orchestrator_id is the id of a dr_orchestrator
# (dr_orchestrator.example.id).
resource "dr_test_schedule" "example" {
  orchestrator_id = "0c5e9f54-7d3a-4f0b-9a8e-3c1b2d4e5f60"
  cron            = "0 2 * * SUN"
  time_zone       = "America/Chicago"
  enabled         = true
}

output "next_dr_test" {
  value = dr_test_schedule.example.next_run
}
