package dr

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/float64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"drbench.invalid/twin/internal/stub"
)

// managedVM has the schema of terraform-provider-dr's dr_managed_vm attribute for attribute:
// the same types, optional/computed flags, defaults, replace triggers, validators and the
// timeouts block, so Terraform and the framework do the same per-instance work for both.
type managedVM struct{}

func newManagedVM() resource.Resource { return &managedVM{} }

type timeoutsModel struct {
	Create types.String `tfsdk:"create"`
	Update types.String `tfsdk:"update"`
	Delete types.String `tfsdk:"delete"`
}

type managedVMModel struct {
	ID                   types.String   `tfsdk:"id"`
	OrchestratorID       types.String   `tfsdk:"orchestrator_id"`
	PvmInstanceID        types.String   `tfsdk:"pvm_instance_id"`
	WorkspaceID          types.String   `tfsdk:"workspace_id"`
	Priority             types.String   `tfsdk:"priority"`
	WorkgroupName        types.String   `tfsdk:"workgroup_name"`
	VMName               types.String   `tfsdk:"vm_name"`
	OSType               types.String   `tfsdk:"os_type"`
	Cores                types.Float64  `tfsdk:"cores"`
	MemoryGB             types.Float64  `tfsdk:"memory_gb"`
	Region               types.String   `tfsdk:"region"`
	DRRegion             types.String   `tfsdk:"dr_region"`
	WorkspaceName        types.String   `tfsdk:"workspace_name"`
	DRAverageTimeMinutes types.Float64  `tfsdk:"dr_average_time_minutes"`
	Timeouts             *timeoutsModel `tfsdk:"timeouts"`
}

func (r *managedVM) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_managed_vm"
}

func (r *managedVM) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	computed := func(description string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, PlanModifiers: keep, Description: description}
	}
	computedNumber := func(description string) schema.Float64Attribute {
		return schema.Float64Attribute{
			Computed:      true,
			PlanModifiers: []planmodifier.Float64{float64planmodifier.UseStateForUnknown()},
			Description:   description,
		}
	}
	timeout := func(op string) schema.StringAttribute {
		return schema.StringAttribute{
			Optional:    true,
			Description: fmt.Sprintf("How long to wait for the %s operation.", op),
			Validators:  []validator.String{durationValidator{}},
		}
	}
	resp.Schema = schema.Schema{
		Description: "Puts a PowerVS VM under DR protection (benchmark twin: no cloud behind it).",
		Attributes: map[string]schema.Attribute{
			"id": computed("`<orchestrator_id>/<pvm_instance_id>`, also the import id."),
			"orchestrator_id": schema.StringAttribute{
				Required:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Description:   "The dr_orchestrator id.",
			},
			"pvm_instance_id": schema.StringAttribute{
				Required:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Description:   "PowerVS instance id.",
			},
			"workspace_id": schema.StringAttribute{
				Optional: true,
				Computed: true,
				PlanModifiers: []planmodifier.String{
					stringplanmodifier.RequiresReplace(),
					stringplanmodifier.UseStateForUnknown(),
				},
				Description: "Workspace GUID of the VM.",
			},
			"priority": schema.StringAttribute{
				Optional:    true,
				Computed:    true,
				Default:     stringdefault.StaticString("medium"),
				Validators:  []validator.String{stringvalidator.OneOf("high", "medium", "low")},
				Description: "Recovery order.",
			},
			"workgroup_name": schema.StringAttribute{
				Optional:      true,
				Computed:      true,
				PlanModifiers: keep,
				Validators: []validator.String{
					stringvalidator.RegexMatches(regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`), "1 to 64 letters, digits, '_' or '-'"),
				},
				Description: "Workgroup.",
			},
			"vm_name":                 computed("The VM's name."),
			"os_type":                 computed("The VM's operating system."),
			"cores":                   computedNumber("Processor cores of the VM."),
			"memory_gb":               computedNumber("Memory of the VM in GB."),
			"region":                  computed("The zone the VM runs in."),
			"dr_region":               computed("The zone the VM is recovered to."),
			"workspace_name":          computed("Name of the VM's workspace."),
			"dr_average_time_minutes": computedNumber("Estimated recovery time in minutes."),
		},
		Blocks: map[string]schema.Block{
			"timeouts": schema.SingleNestedBlock{
				Description: "Timeouts for long-running operations.",
				Attributes: map[string]schema.Attribute{
					"create": timeout("create"),
					"update": timeout("update"),
					"delete": timeout("delete"),
				},
			},
		},
	}
}

func (r *managedVM) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m managedVMModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	vm := m.PvmInstanceID.ValueString()
	m.ID = types.StringValue(m.OrchestratorID.ValueString() + "/" + vm)
	if m.WorkspaceID.IsUnknown() {
		m.WorkspaceID = types.StringValue("twin-workspace")
	}
	if m.WorkgroupName.IsUnknown() {
		m.WorkgroupName = types.StringValue("Default_Workgroup")
	}
	short := vm
	if len(short) > 8 {
		short = short[:8]
	}
	m.VMName = types.StringValue("vm-" + short)
	m.OSType = types.StringValue("aix")
	m.Cores = types.Float64Value(0.25)
	m.MemoryGB = types.Float64Value(2)
	m.Region = types.StringValue("dal10")
	m.DRRegion = types.StringValue("wdc06")
	m.WorkspaceName = types.StringValue("twin-workspace")
	m.DRAverageTimeMinutes = types.Float64Value(12)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// Read keeps the state as it is: the twin has no cloud to ask.
func (r *managedVM) Read(_ context.Context, _ resource.ReadRequest, _ *resource.ReadResponse) {}

func (r *managedVM) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	stub.KeepPlan[managedVMModel](ctx, req, resp)
}

func (r *managedVM) Delete(_ context.Context, _ resource.DeleteRequest, _ *resource.DeleteResponse) {}

func (r *managedVM) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	orchestratorID, vm, ok := strings.Cut(req.ID, "/")
	if !ok || orchestratorID == "" || vm == "" || strings.Contains(vm, "/") {
		resp.Diagnostics.AddError("Invalid import id",
			fmt.Sprintf("%q: expected <orchestrator_id>/<pvm_instance_id>", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("orchestrator_id"), orchestratorID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("pvm_instance_id"), vm)...)
}

// durationValidator accepts what ours accepts for timeouts: a Go-style duration.
type durationValidator struct{}

func (durationValidator) Description(_ context.Context) string {
	return `a duration such as "90m"`
}

func (v durationValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (durationValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := time.ParseDuration(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid timeout",
			fmt.Sprintf("%s: %s. Use a duration such as \"30s\", \"90m\" or \"1h30m\".", req.Path, err))
	}
}
