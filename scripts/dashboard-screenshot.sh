#!/usr/bin/env bash
# Renders dr-cloudsim's orchestrator dashboard in headless Chromium and saves a screenshot:
#   1. installs Debian's chromium package when it is missing (apt-get; needs root or sudo);
#   2. builds and starts dr-cloudsim (--time-scale 1000, so operations take about a second);
#   3. through the APIs with curl: provisions a DR instance, deploys the orchestrator with an HA
#      standby; then on the orchestrator (ksysmgr, through the emulator's exec control) puts
#      three VMs under DR (high, medium, low), adds a weekly DR-test schedule to root's crontab,
#      runs a DR test with its cleanup and a failover;
#   4. screenshots the dashboard_url that manage_dr returned.
#
#   scripts/dashboard-screenshot.sh              -> target/dashboard.png
#   SCREENSHOT_OUT=/tmp/x.png scripts/dashboard-screenshot.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

out="${SCREENSHOT_OUT:-${CARGO_TARGET_DIR:-$root/target}/dashboard.png}"
mkdir -p "$(dirname "$out")"

if ! command -v chromium >/dev/null 2>&1; then
  echo "==> installing chromium (Debian package)" >&2
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi

echo "==> building dr-cloudsim" >&2
cargo build -q -p dr-cloudsim --bin dr-cloudsim
bin="${CARGO_TARGET_DIR:-$root/target}/debug/dr-cloudsim"

work="$(mktemp -d -t dr-dashboard.XXXXXX)"
sim_pid=""
cleanup() {
  local status=$?
  if [ -n "$sim_pid" ]; then
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ]; then
    echo "failed; dr-cloudsim log and responses kept in $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

"$bin" serve --listen 127.0.0.1:0 --time-scale 1000 >"$work/sim.out" 2>"$work/sim.log" &
sim_pid=$!
# shellcheck source=scripts/sim-url.sh
. "$root/scripts/sim-url.sh"
url="$(sim_url "$work/sim.out" "$work/sim.log" "$sim_pid")" || {
  [ $? -eq 1 ] || echo "dr-cloudsim did not start" >&2
  exit 1
}
echo "==> dr-cloudsim at $url" >&2

# json EXPR: evaluates a Python expression over the JSON document `d` read from stdin.
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

token="$(curl -fsS -X POST "$url/iam/identity/token" \
  -d grant_type=urn:ibm:params:oauth:grant-type:apikey -d apikey=sim-api-key | json 'd["access_token"]')"
api() { # api METHOD PATH [JSON BODY]
  local method="$1" path="$2" body="${3:-}"
  if [ -n "$body" ]; then
    curl -fsS -X "$method" "$url$path" -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/json' -d "$body"
  else
    curl -fsS -X "$method" "$url$path" -H "Authorization: Bearer $token"
  fi
}
wait_for() { # wait_for PATH PYTHON-CONDITION-ON-d
  for _ in $(seq 1 300); do
    if [ "$(api GET "$1" | json "bool($2)")" = "True" ]; then return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for $1" >&2
  return 1
}

state="$(curl -fsS "$url/_sim/state")"
group="$(echo "$state" | json '[g["id"] for g in d["rc"]["resource_groups"] if g["default"]][0]')"
ws_id() { echo "$state" | json "[w['id'] for w in d['power']['workspaces'] if w['name']=='$1'][0]"; }
net_id() { echo "$state" | json "[n['networkID'] for n in d['power']['networks'] if '$1' in n['crn'] and n['name']=='mgmt_net'][0]"; }
vm_id() { echo "$state" | json "[v['pvmInstanceID'] for v in d['power']['pvm_instances'] if v['serverName']=='$1'][0]"; }
primary="$(ws_id slz-dal10-power-workspace)"
standby="$(ws_id slz-dal12-power-workspace)"

# The DR plan id, looked up by name in the Global Catalog as the provider does.
service="$(api GET "/gc/api/v1?q=power-dr-automation" | json 'd["resources"][0]["id"]')"
plan="$(api GET "/gc/api/v1/$service/plan" | json '[p["id"] for p in d["resources"] if p["name"]=="power-virtual-server-dr-automation"][0]')"

echo "==> provisioning and deploying DR instance dr-showcase" >&2
guid="$(api POST /rc/v2/resource_instances \
  "{\"name\":\"dr-showcase\",\"target\":\"global\",\"resource_group\":\"$group\",\"resource_plan_id\":\"$plan\"}" | json 'd["guid"]')"
wait_for "/rc/v2/resource_instances/$guid" 'd["state"]=="active"'
dashboard_url="$(api POST "/dra/drautomation/v1/manage_dr/$guid" "{
  \"location_id\":\"dal10\",\"machine_type\":\"s922\",\"orchestrator_location_type\":\"off-premises\",
  \"orchestrator_name\":\"dradmin\",\"orchestrator_password\":\"Orch-Passw0rd-Secret\",
  \"orchestrator_workspace_id\":\"$primary\",\"orchestrator_network_ids\":[\"$(net_id "$primary")\"],
  \"ssh_key_name\":\"slz-ssh-key\",\"orchestrator_ha\":true,
  \"standby_orchestrator_workspace_id\":\"$standby\",
  \"standby_orchestrator_network_ids\":[\"$(net_id "$standby")\"]}" | json 'd["dashboard_url"]')"
wait_for "/dra/drautomation/v1/last_operation/$guid" 'd["status"]=="Active"'

host="$(api GET "/dra/drautomation/v1/last_operation/$guid" | json 'd["primary_ip_address"]')"
ksys() { # ksys COMMAND [STDIN]: runs it on the orchestrator as an SSH exec would
  local body
  body="$(python3 -c 'import json,sys; print(json.dumps({"host": sys.argv[1], "command": sys.argv[2], "stdin": sys.argv[3]}))' "$host" "$1" "${2:-}")"
  local answer
  answer="$(curl -fsS -X POST "$url/_sim/ksys/exec" -H "Content-Type: application/json" -d "$body")"
  if [ "$(echo "$answer" | json 'd["exit_code"]')" != "0" ]; then
    echo "$1 failed: $answer" >&2
    return 1
  fi
}
ksysmgr() { ksys "/opt/IBM/ksys/ksysmgr -f $*"; }

echo "==> managing three VMs, scheduling a weekly DR test" >&2
ksysmgr add site us-south region=us-south
ksysmgr add site us-east region=us-east
ksysmgr manage vm "vmuuid=$(vm_id aix-app-01)" workgroup=payments
ksysmgr manage vm "vmuuid=$(vm_id ibmi-db-01)" workgroup=core-db
ksysmgr manage vm "vmuuid=$(vm_id rhel-web-01)" workgroup=web
ksysmgr modify workgroup payments priority=High
ksysmgr modify workgroup web priority=Low
ksysmgr discover site us-south
ksys "crontab -" "# weekly DR test (by hand)
0 8 * * 0 /opt/IBM/ksys/ksysmgr -f move site from=us-south to=us-east dr_test=yes && /opt/IBM/ksys/ksysmgr -f cleanup site us-east dr_test=yes
"

echo "==> running a DR test and a failover" >&2
ksysmgr move site from=us-south to=us-east dr_test=yes
ksysmgr cleanup site us-east dr_test=yes
ksysmgr move site from=us-south to=us-east dr_type=planned

echo "==> screenshot of $dashboard_url" >&2
profile="$(mktemp -d -t dr-chromium.XXXXXX)"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --screenshot="$out" --window-size=1280,900 "$dashboard_url" \
  >"$work/chromium.log" 2>&1 || { cat "$work/chromium.log" >&2; exit 1; }
rm -rf "$profile"
[ -s "$out" ] || { echo "no screenshot written" >&2; exit 1; }
echo "$out"
