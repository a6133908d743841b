# A dr_orchestrator is imported by the GUID of its DR Automation service instance.
terraform import dr_orchestrator.example 0c5e9f54-7d3a-4f0b-9a8e-3c1b2d4e5f60
