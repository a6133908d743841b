# The VMs the orchestrator's KSYS manages in its high-priority workgroups. Needs the provider's
# orchestrator_ssh (KSYS is the only source of which VMs are managed).
list "dr_managed_vm" "high" {
  provider = dr

  config {
    orchestrator_id = "0c5e9f54-7d3a-4f0b-9a8e-3c1b2d4e5f60"
    priority        = "high"
  }
}
