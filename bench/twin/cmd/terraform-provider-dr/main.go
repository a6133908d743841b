// Command terraform-provider-dr is the benchmark twin (see internal/dr): the same name as ours,
// so bench/bench.py runs one configuration against either through dev_overrides.
package main

import (
	"drbench.invalid/twin/internal/dr"
	"drbench.invalid/twin/internal/stub"
)

func main() {
	stub.Serve("registry.terraform.io/powervs/dr", dr.New)
}
