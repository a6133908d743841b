# A dr_test_schedule is imported by <orchestrator_id>/<schedule_id>.
terraform import dr_test_schedule.example 0c5e9f54-7d3a-4f0b-9a8e-3c1b2d4e5f60/sched-7d2c4e1a
