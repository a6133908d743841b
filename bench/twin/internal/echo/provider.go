// Package echo is the do-nothing provider on terraform-plugin-framework: one resource with one
// optional string, the twin of tf-framework's echo provider. Against it, Terraform's validate
// and a provider start cost what they cost for any provider on HashiCorp's framework.
package echo

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	providerschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"drbench.invalid/twin/internal/stub"
)

// New returns the provider factory for providerserver.Serve.
func New() provider.Provider {
	return &stub.Provider{
		Name: "echo",
		Arguments: providerschema.Schema{
			Attributes: map[string]providerschema.Attribute{
				"message": providerschema.StringAttribute{Optional: true},
			},
		},
		ResourceTypes: []func() resource.Resource{func() resource.Resource { return &thing{} }},
	}
}

type thing struct{}

type thingModel struct {
	Message types.String `tfsdk:"message"`
}

func (t *thing) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_thing"
}

func (t *thing) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Attributes: map[string]schema.Attribute{
			"message": schema.StringAttribute{Optional: true},
		},
	}
}

func (t *thing) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m thingModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (t *thing) Read(_ context.Context, _ resource.ReadRequest, _ *resource.ReadResponse) {}

func (t *thing) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	stub.KeepPlan[thingModel](ctx, req, resp)
}

func (t *thing) Delete(_ context.Context, _ resource.DeleteRequest, _ *resource.DeleteResponse) {}
