# no null elements
# stage: validate
# path: -
# expect: (null|Invalid function argument)

output "o" {
  value = provider::dr::cidr_overlaps(["10.51.0.0/24", null])
}
