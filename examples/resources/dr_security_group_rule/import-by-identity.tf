import {
  to = dr_security_group_rule.example
  identity = {
    security_group_id = "r006-64c70b0b-0c5b-4a8f-b9fb-35e36a9d7130"
    rule_id           = "r006-3c1e6b0a-9d0e-4f7a-8b2c-5d4e6f708192"
  }
}
