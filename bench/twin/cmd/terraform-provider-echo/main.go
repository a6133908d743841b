// Command terraform-provider-echo is the do-nothing provider on terraform-plugin-framework
// (see internal/echo), the twin of tf-framework's echo provider.
package main

import (
	"drbench.invalid/twin/internal/echo"
	"drbench.invalid/twin/internal/stub"
)

func main() {
	stub.Serve("registry.terraform.io/bench/echo", echo.New)
}
