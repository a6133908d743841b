# CIDRs without host bits; suggests the network
# stage: validate
# path: -
# expect: element \[1\]: "10\.52\.0\.9/24" has host bits set.*"10\.52\.0\.0/24"

output "o" {
  value = provider::dr::cidr_overlaps(["10.51.0.0/24", "10.52.0.9/24"])
}
