#!/usr/bin/env bash
# The main job, end to end on this machine, against dr-cloudsim (no IBM Cloud account needed):
#   1. builds the provider and dr-cloudsim, installs Terraform, starts the emulator;
#   2. applies examples/complete (the landing-zone scenario: orchestrator, HA standby, protected
#      VMs in priority order, VPC security-group rules) with Terraform's progress on screen;
#   3. prints the outputs and shows that a second plan has nothing to change;
#   4. destroys everything and stops the emulator (also on failure or Ctrl-C).
#
#   scripts/demo.sh            DEMO_TIME_SCALE=30 by default: a 5-minute deployment step takes 10 s
#   DEMO_KEEP=1 scripts/demo.sh   keeps the working directory (state, logs) for a look afterwards
#   TF_ACC_TERRAFORM_VERSION=1.12.2 scripts/demo.sh   any Terraform >= 1.11 that install-terraform.sh offers
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

time_scale="${DEMO_TIME_SCALE:-30}"
bold=$'\e[1m'; reset=$'\e[0m'
# Terraform's colours only help on a terminal; a log file gets plain text.
no_color=()
[ -t 1 ] || { bold=""; reset=""; no_color=(-no-color); }
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$reset"; }
seconds() { date +%s; }

step "building terraform-provider-dr and dr-cloudsim (cargo build)"
build_log="$(mktemp -t dr-demo-build.XXXXXX)"
if ! cargo build -p terraform-provider-dr -p dr-cloudsim --bins >"$build_log" 2>&1; then
  cat "$build_log" >&2
  exit 1
fi
rm -f "$build_log"
bin_dir="${CARGO_TARGET_DIR:-$root/target}/debug"
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)"
echo "$bin_dir/terraform-provider-dr (version $version)"

step "installing Terraform ${TF_ACC_TERRAFORM_VERSION:-1.15.5}"
terraform="$(scripts/install-terraform.sh)"
echo "$terraform"

started="$(seconds)"
work="$(mktemp -d -t dr-demo.XXXXXX)"
sim_pid=""
applied=false
finished=false

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if $applied && ! $finished && [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
    step "cleaning up after an interruption: terraform destroy"
    (cd "$work/tf" && "$terraform" destroy -auto-approve -input=false -no-color >"$work/destroy.log" 2>&1) \
      || echo "destroy failed; see $work/destroy.log" >&2
  fi
  if [ -n "$sim_pid" ]; then
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] || [ -n "${DEMO_KEEP:-}" ]; then
    echo "working directory kept: $work (dr-cloudsim log: $work/sim.log)" >&2
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "starting dr-cloudsim (default landing-zone scenario, --time-scale $time_scale)"
"$bin_dir/dr-cloudsim" serve --listen 127.0.0.1:0 --time-scale "$time_scale" \
  >"$work/sim.out" 2>"$work/sim.log" &
sim_pid=$!
# shellcheck source=scripts/sim-url.sh
. "$root/scripts/sim-url.sh"
url="$(sim_url "$work/sim.out" "$work/sim.log" "$sim_pid")" || {
  [ $? -eq 1 ] || echo "dr-cloudsim did not start; see $work/sim.log" >&2
  exit 1
}
echo "$url"

mkdir -p "$work/tf"
cp examples/complete/*.tf "$work/tf/"
python3 - "$url/endpoints.json" "$work/endpoints.json" <<'PY'
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=10) as r, open(sys.argv[2], "wb") as f:
    f.write(r.read())
PY
python3 scripts/sim_tfvars.py "$url" >"$work/tf/terraform.tfvars.json"
# A copy of the fresh build goes into a local filesystem mirror, the way scripts/install-mirror.sh
# installs a release, so `terraform init` installs it like any registry provider. (A copy, not a
# link: a rebuild during the run must not change the binary the lock file has pinned.)
mirror="$work/mirror/registry.terraform.io/powervs/dr/$version/linux_amd64"
mkdir -p "$mirror"
cp "$bin_dir/terraform-provider-dr" "$mirror/terraform-provider-dr_v$version"
cat >"$work/terraformrc" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["registry.terraform.io/powervs/dr"]
  }
}
EOF

# The provider reads the same environment as IBM's: an API key and an endpoints file.
export TF_CLI_CONFIG_FILE="$work/terraformrc"
export IC_API_KEY=sim-api-key
export IC_ENDPOINTS_FILE_PATH="$work/endpoints.json"
export TF_VAR_orchestrator_password="Demo-Passw0rd-$RANDOM"
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
unset TF_LOG TF_LOG_PATH
tf() { (cd "$work/tf" && "$terraform" "$@"); }

step "variables from the landing zone (here: dr-cloudsim's state)"
python3 - "$work/tf/terraform.tfvars.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
print(f"  primary workspace  {v['powervs_workspace_guid']} ({v['powervs_zone']}), management subnet {v['powervs_management_subnet']['cidr']}")
print(f"  standby workspace  {v['standby_workspace_guid']}, subnet {v['standby_management_subnet']['cidr']}")
print(f"  transit gateway    {v['transit_gateway_id']}")
print(f"  security groups    {', '.join(g['group_name'] for vpc in v['vpc_data'] for g in vpc['security_group'])}")
for name, vm in sorted(v["protected_vms"].items(), key=lambda kv: ["high", "medium", "low"].index(kv[1]["priority"])):
    print(f"  protect            {name:<14} priority {vm['priority']}")
PY

step "terraform init"
tf init -input=false -no-color >"$work/init.log" 2>&1 || { cat "$work/init.log" >&2; exit 1; }
grep -E '^- |successfully initialized' "$work/init.log"

step "terraform apply examples/complete"
applied=true
tf apply -auto-approve -input=false "${no_color[@]}"
apply_done="$(seconds)"

step "result"
dashboard_url="$(tf output -raw dashboard_url)"
managed_vm_count="$(tf output -raw managed_vm_count)"
standby_status="$(tf output -raw standby_status)"
printf '  dashboard URL     %s\n  managed VMs       %s\n  standby status    %s\n' \
  "$dashboard_url" "$managed_vm_count" "$standby_status"

step "second plan: nothing may change"
set +e
tf plan -detailed-exitcode -input=false -no-color >"$work/plan2.log" 2>&1
plan_status=$?
set -e
grep -E '^(No changes|Plan:|Changes to Outputs)' "$work/plan2.log" || true
if [ "$plan_status" -ne 0 ]; then
  cat "$work/plan2.log" >&2
  echo "the second plan is not empty (exit $plan_status)" >&2
  exit 1
fi

step "terraform destroy"
tf destroy -auto-approve -input=false -compact-warnings -no-color >"$work/destroy.log" 2>&1 \
  || { cat "$work/destroy.log" >&2; exit 1; }
grep -E 'Destruction complete|Destroy complete' "$work/destroy.log"
finished=true

ended="$(seconds)"
step "done: apply $((apply_done - started)) s, whole run after the build $((ended - started)) s"
