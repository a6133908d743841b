# The scheduled DR tests of one orchestrator.
list "dr_test_schedule" "tests" {
  provider = dr

  config {
    orchestrator_id = "0c5e9f54-7d3a-4f0b-9a8e-3c1b2d4e5f60"
  }
}
