import {
  to = dr_managed_vm.example["aix-app-01"]
  identity = {
    orchestrator_id = "0c5e9f54-7d3a-4f0b-9a8e-3c1b2d4e5f60"
    pvm_instance_id = "10e2c468-65e9-4746-8fb8-1a18c8a50516"
  }
}
