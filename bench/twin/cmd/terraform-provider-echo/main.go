// Command terraform-provider-echo is the do-nothing provider on terraform-plugin-framework
// (see internal/echo), the twin of tf-framework's echo provider.
package main

import (
	"context"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"drbench.invalid/twin/internal/echo"
)

func main() {
	err := providerserver.Serve(context.Background(), echo.New, providerserver.ServeOpts{
		Address: "registry.terraform.io/bench/echo",
	})
	if err != nil {
		log.Fatal(err)
	}
}
