# With an IBM endpoints file
# The file maps each IBMCLOUD_*_API_ENDPOINT variable to public/private URLs per region, the
# format the IBM provider reads. dr-cloudsim serves one at /endpoints.json.
provider "dr" {
  endpoints_file_path = "${path.root}/endpoints.json"
  region              = "us-south"
}
