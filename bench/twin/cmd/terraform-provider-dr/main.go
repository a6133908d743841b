// Command terraform-provider-dr is the benchmark twin (see internal/dr): the same name as ours,
// so bench/bench.py runs one configuration against either through dev_overrides.
package main

import (
	"context"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"drbench.invalid/twin/internal/dr"
)

func main() {
	err := providerserver.Serve(context.Background(), dr.New, providerserver.ServeOpts{
		Address: "registry.terraform.io/powervs/dr",
	})
	if err != nil {
		log.Fatal(err)
	}
}
