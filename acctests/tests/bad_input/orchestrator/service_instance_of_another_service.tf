# service_instance_id must be a DR Automation instance
# stage: validate
# path: service_instance_id
# expect: Invalid service instance id
# expect: service_instance_id: "crn:v1:bluemix:public:power-iaas:dal10:a/acc:0a1b2c3d-0000-4000-8000-000000000001::" is not the GUID or CRN of a DR Automation service instance
# base: orchestrator

resource "dr_orchestrator" "o" {
  service_instance_id = "crn:v1:bluemix:public:power-iaas:dal10:a/acc:0a1b2c3d-0000-4000-8000-000000000001::"
}
