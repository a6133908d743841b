# required arguments are named
# stage: validate
# path: -
# expect: The argument "orchestrator_id" is required

data "dr_managed_vms" "d" {
}
