# prefix lengths up to /32
# stage: validate
# path: -
# expect: Invalid value for "cidrs" parameter: element \[0\]: "10\.0\.0\.0/33" is not a CIDR block: expected an address and a prefix length such as "10\.51\.0\.0/24"

output "o" {
  value = provider::dr::cidr_overlaps(["10.0.0.0/33", "10.1.0.0/16"])
}
