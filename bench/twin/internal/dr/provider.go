// Package dr is the benchmark twin of terraform-provider-dr on terraform-plugin-framework:
// the same type names and schema shapes for what bench/bench.py measures (dr_orchestrator and
// dr_managed_vm), backed by nothing. Its figures are the framework's own cost of serving that
// schema to Terraform, which is what our Rust framework is compared with; the cloud calls are
// left out on purpose, because the twin would otherwise measure an HTTP client, not a framework.
package dr

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"drbench.invalid/twin/internal/stub"
)

// New returns the provider factory for providerserver.Serve. Its schema carries the provider
// arguments users set most (ours has more, with the same types); the benchmark configures ours
// through environment variables and leaves these unset.
func New() provider.Provider {
	optional := func(description string) schema.StringAttribute {
		return schema.StringAttribute{Optional: true, Description: description}
	}
	arguments := schema.Schema{
		Description: "Benchmark twin of terraform-provider-dr (terraform-plugin-framework).",
		Attributes: map[string]schema.Attribute{
			"ibmcloud_api_key":    schema.StringAttribute{Optional: true, Sensitive: true, Description: "IBM Cloud API key."},
			"iam_token":           schema.StringAttribute{Optional: true, Sensitive: true, Description: "IAM token."},
			"iam_refresh_token":   schema.StringAttribute{Optional: true, Sensitive: true, Description: "IAM refresh token."},
			"region":              optional("Region."),
			"zone":                optional("Zone."),
			"visibility":          optional("public or private."),
			"endpoints_file_path": optional("IBM endpoints file."),
			"max_retries":         schema.Int64Attribute{Optional: true, Description: "Retries of a failed request."},
			"request_timeout":     schema.Int64Attribute{Optional: true, Description: "Seconds per request."},
		},
	}
	return &stub.Provider{
		Name:          "dr",
		Arguments:     arguments,
		ResourceTypes: []func() resource.Resource{newOrchestrator, newManagedVM},
	}
}
