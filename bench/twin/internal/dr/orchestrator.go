package dr

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/float64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"drbench.invalid/twin/internal/stub"
)

// orchestrator is dr_orchestrator reduced to the arguments the benchmark configuration sets:
// one instance per run, so its shape barely weighs on the figures.
type orchestrator struct{}

func newOrchestrator() resource.Resource { return &orchestrator{} }

type orchestratorModel struct {
	ID                   types.String  `tfsdk:"id"`
	Name                 types.String  `tfsdk:"name"`
	OrchestratorUser     types.String  `tfsdk:"orchestrator_user"`
	WorkspaceID          types.String  `tfsdk:"workspace_id"`
	MachineType          types.String  `tfsdk:"machine_type"`
	OrchestratorPassword types.String  `tfsdk:"orchestrator_password"`
	Cores                types.Float64 `tfsdk:"cores"`
	MemoryGB             types.Float64 `tfsdk:"memory_gb"`
	Status               types.String  `tfsdk:"status"`
}

func (r *orchestrator) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_orchestrator"
}

func (r *orchestrator) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		Description: "A DR deployment (benchmark twin: no cloud behind it).",
		Attributes: map[string]schema.Attribute{
			"id":                    schema.StringAttribute{Computed: true, PlanModifiers: keep, Description: "Service instance GUID."},
			"name":                  schema.StringAttribute{Required: true, PlanModifiers: replace, Description: "Deployment name."},
			"orchestrator_user":     schema.StringAttribute{Required: true, PlanModifiers: replace, Description: "Orchestrator UI login."},
			"workspace_id":          schema.StringAttribute{Required: true, PlanModifiers: replace, Description: "PowerVS workspace GUID."},
			"machine_type":          schema.StringAttribute{Required: true, PlanModifiers: replace, Description: "Machine type."},
			"orchestrator_password": schema.StringAttribute{Optional: true, Sensitive: true, Description: "Orchestrator password."},
			"cores":                 schema.Float64Attribute{Optional: true, Computed: true, Default: float64default.StaticFloat64(0.5), Description: "Cores."},
			"memory_gb":             schema.Float64Attribute{Optional: true, Computed: true, Default: float64default.StaticFloat64(4), Description: "Memory in GB."},
			"status":                schema.StringAttribute{Computed: true, PlanModifiers: keep, Description: "Deployment status."},
		},
	}
}

func (r *orchestrator) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m orchestratorModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		resp.Diagnostics.AddError("Cannot make an id", err.Error())
		return
	}
	m.ID = types.StringValue(hex.EncodeToString(id))
	m.Status = types.StringValue("active")
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// Read keeps the state as it is: the twin has no cloud to ask.
func (r *orchestrator) Read(_ context.Context, _ resource.ReadRequest, _ *resource.ReadResponse) {}

func (r *orchestrator) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	stub.KeepPlan[orchestratorModel](ctx, req, resp)
}

func (r *orchestrator) Delete(_ context.Context, _ resource.DeleteRequest, _ *resource.DeleteResponse) {
}

func (r *orchestrator) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resource.ImportStatePassthroughID(ctx, path.Root("id"), req, resp)
}
