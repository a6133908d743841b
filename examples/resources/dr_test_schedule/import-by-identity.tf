import {
  to = dr_test_schedule.example
  identity = {
    orchestrator_id = "0c5e9f54-7d3a-4f0b-9a8e-3c1b2d4e5f60"
    schedule_id     = "sched-7d2c4e1a"
  }
}
