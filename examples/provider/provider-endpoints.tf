# With per-service endpoints (dr-cloudsim)
# Each service can be pointed elsewhere; this is dr-cloudsim, the local emulator, on port 8080
# (its API key is sim-api-key). Every URL also falls back to its IBMCLOUD_*_API_ENDPOINT variable.
provider "dr" {
  ibmcloud_api_key = "sim-api-key"
  region           = "us-south"

  endpoints {
    iam                 = "http://127.0.0.1:8080/iam"
    resource_controller = "http://127.0.0.1:8080/rc"
    global_catalog      = "http://127.0.0.1:8080/gc"
    resource_manager    = "http://127.0.0.1:8080/rm"
    power               = "http://127.0.0.1:8080/power"
    vpc                 = "http://127.0.0.1:8080/vpc/v1"
    transit_gateway     = "http://127.0.0.1:8080/tg/v1"
    dr_automation       = "http://127.0.0.1:8080/dra"
  }
}
