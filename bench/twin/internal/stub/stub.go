// Package stub is what the twin's two providers share: a provider that only declares its
// arguments and resource types (the benchmark configures nothing through it), Update for a
// resource with no cloud behind it, and the plugin's main.
package stub

import (
	"context"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

// Provider declares a provider's type name, arguments and resource types and does nothing else.
type Provider struct {
	Name          string
	Arguments     schema.Schema
	ResourceTypes []func() resource.Resource
}

func (p *Provider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = p.Name
}

func (p *Provider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = p.Arguments
}

func (p *Provider) Configure(_ context.Context, _ provider.ConfigureRequest, _ *provider.ConfigureResponse) {
}

func (p *Provider) Resources(_ context.Context) []func() resource.Resource {
	return p.ResourceTypes
}

func (p *Provider) DataSources(_ context.Context) []func() datasource.DataSource {
	return nil
}

// KeepPlan is Update for a resource with no cloud behind it: the planned values (of model M)
// become the state.
func KeepPlan[M any](ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m M
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// Serve runs the provider as a Terraform plugin under its registry address.
func Serve(address string, factory func() provider.Provider) {
	err := providerserver.Serve(context.Background(), factory, providerserver.ServeOpts{Address: address})
	if err != nil {
		log.Fatal(err)
	}
}
