# With private endpoints
# From inside IBM Cloud (a VSI, Schematics agents), use the private service endpoints.
# Falls back to IC_VISIBILITY.
provider "dr" {
  visibility = "private"
  region     = "us-south"
  zone       = "dal10"
}
