#!/usr/bin/env python3
"""Benchmarks of terraform-provider-dr against Terraform's own floor and against its twin on
HashiCorp's terraform-plugin-framework, side by side in one run.

Why a floor: Terraform's cost per resource (graph walk, state encoding, plan rendering) is paid
whatever the provider does. Each scenario is therefore run twice, once with dr_* resources
against dr-cloudsim and once with the same shape of built-in `terraform_data` resources, and
reported as a ratio. Requests come from the emulator's own counters (`/_sim/requests`), peak
memory from the kernel's accounting of the provider process (wait4 rusage).

Why a twin: the floor says what Terraform costs without any provider; bench/twin is the same
schema served by terraform-plugin-framework (the framework every Go provider uses), backed by
nothing, so its figures are the fair peer of ours for startup, validate, refresh and memory.

Run through scripts/bench.sh, which builds what this needs and passes the paths. Standard
library only, so it runs on a fresh machine.
"""

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Where scripts/bench-startup.sh keeps the aws provider it fetched.
STARTUP_WORK = Path(os.environ.get("BENCH_WORK", "/tmp/tf-bench-startup"))
API_KEY = "sim-api-key"
PRIMARY = "slz-dal10-power-workspace"
HEADER = 'terraform {\n  required_providers {\n    dr = { source = "powervs/dr" }\n  }\n}\n'


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- dr-cloudsim -------------------------------------------------------------------------------


class Sim:
    """A dr-cloudsim process on a free port, killed by close()."""

    def __init__(self, binary, time_scale):
        self.proc = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--time-scale", str(time_scale)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        self.url = self._announced("dr-cloudsim listening on ", "first")
        self.ssh_addr = self._announced("dr-cloudsim ssh jump host on ", "second")
        self._token = None
        # Orchestrator host keys are trusted on first use into a file of this emulator's own.
        self.known_hosts = Path(tempfile.mkdtemp(prefix="bench-ssh-")) / "known_hosts"

    def _announced(self, prefix, which):
        """What dr-cloudsim's next (`which`) stdout line announces after `prefix`."""
        line = self.proc.stdout.readline().decode().strip()
        if not line.startswith(prefix):
            self.close()
            raise SystemExit(f"unexpected {which} line from dr-cloudsim: {line!r}")
        return line[len(prefix):]

    def close(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.known_hosts.parent, ignore_errors=True)

    def call(self, method, path, body=None, headers=None, form=None):
        data, hdrs = None, dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            hdrs["content-type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            hdrs["content-type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                text = resp.read()
        except urllib.error.HTTPError as e:
            raise SystemExit(f"{method} {path} -> {e.code}: {e.read().decode(errors='replace')}") from e
        return json.loads(text) if text.strip() else None

    def objects(self, service, collection):
        items = self.call("GET", "/_sim/state").get(service, {}).get(collection, [])
        return list(items.values()) if isinstance(items, dict) else items

    def reset_requests(self):
        self.call("DELETE", "/_sim/requests")

    def requests(self):
        """Requests since the last reset: (total, [(method, route, status, count), ...])."""
        r = self.call("GET", "/_sim/requests")
        routes = [(e["method"], e["route"], e["status"], e["count"]) for e in r.get("by_route", [])]
        return r.get("total", 0), routes

    def ssh_counts(self):
        """SSH since the last reset: (jump host connections, sessions to KSYS hosts,
        {command: count})."""
        ssh = self.call("GET", "/_sim/requests").get("ssh", {})
        sessions = sum(s["count"] for s in ssh.get("sessions", []))
        commands = {c["command"]: c["count"] for c in ssh.get("commands", [])}
        return ssh.get("connections", 0), sessions, commands

    def ksys_exec(self, host, command):
        """Runs `command` on the KSYS host at `host` through the emulator's exec control (no
        SSH: for setting up thousands of managed VMs); returns (exit code, stdout, stderr)."""
        out = self.call("POST", "/_sim/ksys/exec", {"host": host, "command": command})
        return out["exit_code"], out["stdout"], out["stderr"]

    def set_latency(self, ms):
        self.call("POST", "/_sim/faults", {"rules": [{"path_prefix": "/", "latency_ms": ms}]})

    def clear_faults(self):
        self.call("DELETE", "/_sim/faults")

    def provider_env(self):
        u = self.url
        ssh = self.call("GET", "/_sim/ssh")
        return {
            "IC_API_KEY": API_KEY,
            "IC_REGION": "us-south",
            "IBMCLOUD_IAM_API_ENDPOINT": f"{u}/iam",
            "IBMCLOUD_RESOURCE_CONTROLLER_API_ENDPOINT": f"{u}/rc",
            "IBMCLOUD_RESOURCE_CATALOG_API_ENDPOINT": f"{u}/gc",
            "IBMCLOUD_RESOURCE_MANAGEMENT_API_ENDPOINT": f"{u}/rm",
            "IBMCLOUD_PI_API_ENDPOINT": f"{u}/power",
            "IBMCLOUD_IS_NG_API_ENDPOINT": f"{u}/vpc",
            "IBMCLOUD_TG_API_ENDPOINT": f"{u}/tg",
            "IBMCLOUD_DRA_API_ENDPOINT": f"{u}/dra",
            # Orchestrator access through the emulator's jump host, as a user configures it.
            "DR_JUMP_HOST_ADDRESS": self.ssh_addr,
            "DR_JUMP_HOST_USER": ssh["jump_host"]["user"],
            "DR_JUMP_HOST_HOST_KEYS": ssh["jump_host"]["host_key"],
            "DR_ORCHESTRATOR_SSH_PRIVATE_KEY": ssh["scenario_key"]["private_key"],
            "DR_ORCHESTRATOR_SSH_STRICT_HOST_KEY_CHECKING": "accept-new",
            "DR_ORCHESTRATOR_SSH_KNOWN_HOSTS_FILE": str(self.known_hosts),
        }

    def token(self):
        if self._token is None:
            resp = self.call(
                "POST",
                "/iam/identity/token",
                form={"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": API_KEY},
            )
            self._token = resp["access_token"]
        return self._token

    def workspace(self, name):
        for ws in self.objects("power", "workspaces"):
            if ws["name"] == name:
                return ws
        raise SystemExit(f"no workspace {name} in the scenario")

    def create_vms(self, workspace_name, count, prefix="bench"):
        """`count` AIX VMs in the workspace through the PowerVS API (20 per request, its
        limit); returns their ids. Terraform is not involved: only their registration is
        benchmarked."""
        ws = self.workspace(workspace_name)
        guid, crn = ws["id"], ws["details"]["crn"]
        headers = {"authorization": f"Bearer {self.token()}", "crn": crn}
        base = f"/power/pcloud/v1/cloud-instances/{guid}"
        images = self.call("GET", f"{base}/images", headers=headers)["images"]
        image = next(i["imageID"] for i in images if i["name"].startswith("7300"))
        # The scenario's /24 subnets hold ~250 VMs; a private /18 of our own holds them all.
        network = self.call(
            "POST",
            f"{base}/networks",
            headers=headers,
            body={"type": "vlan", "name": f"{prefix}-net", "cidr": "10.200.0.0/18"},
        )["networkID"]
        for batch in range((count + 19) // 20):
            n = min(20, count - batch * 20)
            self.call(
                "POST",
                f"{base}/pvm-instances",
                headers=headers,
                body={
                    "serverName": f"{prefix}{batch:04d}",
                    "imageID": image,
                    "processors": 0.25,
                    "procType": "shared",
                    "memory": 2,
                    "sysType": "s922",
                    "networks": [{"networkID": network}],
                    "replicants": n,
                    "replicantNamingScheme": "suffix",
                },
            )
        ids = sorted(
            v["pvmInstanceID"]
            for v in self.objects("power", "pvm_instances")
            if v.get("serverName", "").startswith(prefix)
        )
        if len(ids) != count:
            raise SystemExit(f"created {len(ids)} VMs, wanted {count}")
        return guid, ids


# --- Terraform working directories -------------------------------------------------------------


class WorkDir:
    """A Terraform directory whose CLI config points `powervs/dr` at `plugin_dir`."""

    def __init__(self, terraform, plugin_dir, env=None, source=None):
        self.terraform = terraform
        self.path = Path(tempfile.mkdtemp(prefix="tf-bench-"))
        if source is not None:
            shutil.copytree(source, self.path, dirs_exist_ok=True)
        self.cli_config = self.path / ".terraformrc"
        self.set_plugin_dir(plugin_dir)
        self.env = dict(env or {})

    def set_plugin_dir(self, plugin_dir):
        self.cli_config.write_text(
            "provider_installation {\n  dev_overrides {\n"
            f'    "powervs/dr" = "{plugin_dir}"\n  }}\n  direct {{}}\n}}\n'
        )

    def write(self, name, text):
        (self.path / name).write_text(text)

    def run(self, *args, ok_codes=(0,)):
        """Runs Terraform; returns (seconds, exit code). Fails the benchmark on another code."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/tmp"),
            "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
            "TF_CLI_CONFIG_FILE": str(self.cli_config),
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
            **self.env,
        }
        start = time.perf_counter()
        out = subprocess.run(
            [self.terraform, *args],
            cwd=self.path,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - start
        self.last_stdout = out.stdout
        if out.returncode not in ok_codes:
            raise SystemExit(
                f"terraform {' '.join(args)} exited {out.returncode} in {self.path}:\n"
                f"{out.stdout[-4000:]}\n{out.stderr[-4000:]}"
            )
        return elapsed, out.returncode

    def apply(self, parallelism):
        return self.run("apply", "-auto-approve", "-input=false", "-no-color", f"-parallelism={parallelism}")[0]

    def plan_empty(self):
        """A refresh plan that must find nothing to change (exit 0 of -detailed-exitcode)."""
        return self.run("plan", "-detailed-exitcode", "-input=false", "-no-color")[0]

    def close(self):
        shutil.rmtree(self.path, ignore_errors=True)


def vms_locals(ids):
    """`locals { vms = { "<id>" = "low", ... } }`: the VMs both configurations manage. A map,
    not `toset(list)`: Terraform 1.15 re-converts a for_each list to a set for every instance,
    which makes a 1,000-instance plan cost ~20 s of Terraform's own CPU and would hide the
    provider's cost under it."""
    entries = "".join(f'    "{i}" = "low"\n' for i in ids)
    return "locals {\n  vms = {\n" + entries + "  }\n}\n"


def dr_config(guid, ids, ssh=True):
    """An orchestrator sized for many VMs and one dr_managed_vm per id. `ssh`: root logs in
    with the scenario's key (the twin has no SSH and no such argument)."""
    key = '  ssh_key_name          = "slz-ssh-key"\n' if ssh else ""
    return HEADER + f"""
resource "dr_orchestrator" "main" {{
  name                  = "dr-bench"
  orchestrator_user     = "dradmin"
  workspace_id          = "{guid}"
  machine_type          = "s922"
{key}  orchestrator_password = "Passw0rd-Secret!"
  cores                 = 4
  memory_gb             = 64
}}

{vms_locals(ids)}
resource "dr_managed_vm" "bulk" {{
  for_each        = local.vms
  orchestrator_id = dr_orchestrator.main.id
  pvm_instance_id = each.key
  priority        = each.value
}}
"""


# What a dr_managed_vm's state holds beyond its three arguments, as constants of the same kinds
# (Terraform pays per value, not per distinct value): with the arguments nine values, which
# terraform_data keeps twice (input and output); with its id 19 values per instance, as many as a
# managed VM's state (17 set) and identity (2) hold.
MATCHED_VALUES = """
    workgroup_name  = "bench0001-12_WG"
    vm_name         = "bench0001-12"
    os_type         = "aix"
    region          = "dal10"
    cores           = 0.25
    memory_gb       = 2"""


def floor_config(guid, ids, matched=False):
    """The same shape as dr_config with Terraform's built-in terraform_data. `matched`: each
    instance also holds as many values, of the same kinds, as a dr_managed_vm's refreshed state,
    so the floor is Terraform's own cost for that much state rather than for three strings."""
    extra = MATCHED_VALUES if matched else ""
    return f"""
resource "terraform_data" "main" {{
  input = {{
    name         = "dr-bench"
    workspace_id = "{guid}"
    machine_type = "s922"
    cores        = 4
    memory_gb    = 64
  }}
}}

{vms_locals(ids)}
resource "terraform_data" "bulk" {{
  for_each = local.vms
  input = {{
    orchestrator_id = terraform_data.main.id
    pvm_instance_id = each.key
    priority        = each.value{extra}
  }}
}}
"""


# --- memory: a wrapper that records the provider's peak RSS ------------------------------------

WRAPPER = """#!{python}
# Runs the real provider as a child and appends its peak RSS (kB, from wait4) to a log, so the
# kernel's own accounting is read after the process ends and no sample can miss the peak.
import os, signal, sys
real, log = {real!r}, {log!r}
pid = os.fork()
if pid == 0:
    os.execv(real, [real] + sys.argv[1:])
for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(sig, lambda n, _f: os.kill(pid, n))
_, status, usage = os.wait4(pid, 0)
with open(log, "a") as f:
    f.write(f"{{usage.ru_maxrss}}\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def rss_wrapper_dir(real_binary):
    wrap_dir = Path(tempfile.mkdtemp(prefix="tf-bench-rss-"))
    log_path = wrap_dir / "maxrss.log"
    script = wrap_dir / "terraform-provider-dr"
    script.write_text(WRAPPER.format(python=sys.executable, real=str(real_binary), log=str(log_path)))
    script.chmod(0o755)
    return wrap_dir, log_path


# --- scenarios ---------------------------------------------------------------------------------


STARTUP_LABELS = {
    "terraform-provider-dr": "ours",
    "terraform-provider-aws 3.39.0": "aws",
    "ours (tf-framework echo)": "ours_echo",
    "twin dr (plugin-framework)": "twin",
    "twin echo (plugin-framework)": "twin_echo",
}


def bench_startup(args):
    """Median exec-to-handshake milliseconds, keyed ours, aws, ours_echo, twin, twin_echo."""
    log("startup: scripts/bench-startup.sh")
    env = {**os.environ, "DR": str(Path(args.plugin_dir) / "terraform-provider-dr")}
    if args.twin_plugin_dir:
        env["TWIN"] = str(Path(args.twin_plugin_dir) / "terraform-provider-dr")
    if args.twin_echo_plugin_dir:
        env["TWIN_ECHO"] = str(Path(args.twin_echo_plugin_dir) / "terraform-provider-echo")
    out = subprocess.run(
        [str(ROOT / "scripts/bench-startup.sh"), "20"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    print(out.stdout, end="", file=sys.stderr)
    rows = {}
    for line in out.stdout.splitlines():
        for label, key in STARTUP_LABELS.items():
            m = re.match(re.escape(label) + r"\s+([\d.]+)", line)
            if m:
                rows[key] = float(m.group(1))
    return rows


# Terraform starts every provider twice for `validate` (once for its schema, once for the
# walk), each time with a fresh P-521 client certificate, a TLS handshake and a process to
# reap: a cost no provider can avoid. The do-nothing provider (tf-framework's echo, one
# resource) against one terraform_data shows how much of the ratio that alone is.
ECHO_CONFIG = (
    'terraform {\n  required_providers {\n    echo = { source = "bench/echo" }\n  }\n}\n'
    'resource "echo_thing" "a" {\n  message = "hi"\n}\n'
)
ECHO_FLOOR_CONFIG = 'resource "terraform_data" "a" {\n  input = "hi"\n}\n'


def test_variables(test_file):
    """The top-level `variables { ... }` block of a Terraform test file."""
    lines = test_file.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("variables {"))
    end = next(i for i in range(start, len(lines)) if lines[i].rstrip("\n") == "}")
    return "".join(lines[start:end + 1]) + "\n"


def echo_workdir(args, plugin_dir):
    """The one-resource configuration of a do-nothing provider `bench/echo` in `plugin_dir`."""
    wd = WorkDir(args.terraform, args.plugin_dir)
    wd.cli_config.write_text(
        "provider_installation {\n  dev_overrides {\n"
        f'    "bench/echo" = "{plugin_dir}"\n  }}\n  direct {{}}\n}}\n'
    )
    wd.write("main.tf", ECHO_CONFIG)
    return wd


# The configuration the refresh scenario plans, validated with this many managed VMs: it is the
# one configuration both ours and the twin serve (the twin has only these two resource types).
VALIDATE_SHAPE_VMS = 100


def bench_validate(args):
    """Median validate seconds, keyed: complete / complete_floor (examples/complete and its
    floor); echo / echo_floor / twin_echo (the do-nothing providers, with --echo-plugin-dir and
    --twin-echo-plugin-dir); shape / shape_floor / shape_twin (the refresh scenario's
    configuration, with --twin-plugin-dir)."""
    complete = ROOT / "examples/complete"
    floor_src = ROOT / "bench/configs/validate-floor"
    ours = WorkDir(args.terraform, args.plugin_dir, source=complete)
    floor = WorkDir(args.terraform, args.plugin_dir, source=floor_src)
    shutil.copy(complete / "variables.tf", floor.path / "variables.tf")
    floor_test = floor.path / "tests/complete.tftest.hcl"
    floor_test.write_text(test_variables(complete / "tests/complete.tftest.hcl") + floor_test.read_text())
    dirs = {"complete": ours, "complete_floor": floor}
    if args.echo_plugin_dir:
        dirs["echo"] = echo_workdir(args, args.echo_plugin_dir)
        echo_floor = WorkDir(args.terraform, args.plugin_dir)
        echo_floor.write("main.tf", ECHO_FLOOR_CONFIG)
        dirs["echo_floor"] = echo_floor
        if args.twin_echo_plugin_dir:
            dirs["twin_echo"] = echo_workdir(args, args.twin_echo_plugin_dir)
    if args.twin_plugin_dir:
        guid = str(uuid.UUID(int=1))
        ids = [str(uuid.UUID(int=1000 + i)) for i in range(VALIDATE_SHAPE_VMS)]
        # Without the SSH key argument, which the twin lacks (validate connects to nothing).
        for key, plugin_dir, config in (
            ("shape", args.plugin_dir, lambda g, i: dr_config(g, i, ssh=False)),
            ("shape_twin", args.twin_plugin_dir, lambda g, i: dr_config(g, i, ssh=False)),
            ("shape_floor", args.plugin_dir, floor_config),
        ):
            wd = WorkDir(args.terraform, plugin_dir)
            wd.write("main.tf", config(guid, ids))
            dirs[key] = wd
    for wd in dirs.values():
        shutil.rmtree(wd.path / ".terraform", ignore_errors=True)
        wd.run("validate", "-no-color")  # warm the page cache
    medians = interleaved_medians(
        args.validate_runs,
        *[lambda wd=wd: wd.run("validate", "-no-color")[0] for wd in dirs.values()],
    )
    for wd in dirs.values():
        wd.close()
    return dict(zip(dirs, medians))


# Terraform's apply is superlinear in the number of instances (it copies a resource's whole
# state for each of its instances), so applying thousands of resources costs minutes of
# Terraform's own time. Above this many, the benchmark applies a few, registers the rest
# through the orchestrator API and writes their state from an applied instance; the refresh
# plan that follows must be empty, which proves the written state is what the provider keeps.
SEED = 10


def grow_state(wd, resource_type, name, ids, fill):
    """Rewrites `wd`'s state so that resource `<resource_type>.<name>` has one instance per
    id, each a copy of its first applied instance passed through `fill(attributes, id)`, its
    identity taken from the filled attributes."""
    path = wd.path / "terraform.tfstate"
    state = json.loads(path.read_text())
    resource = next(
        r for r in state["resources"] if r["type"] == resource_type and r["name"] == name
    )
    template = resource["instances"][0]
    instances = []
    for vm_id in ids:
        instance = json.loads(json.dumps(template))
        instance["index_key"] = vm_id
        fill(instance["attributes"], vm_id)
        # The resource identity (Terraform 1.12+) names the object too: it must follow the
        # attributes it is made of, or the provider refuses the copy as an identity change.
        identity = instance.get("identity")
        if isinstance(identity, dict):
            for key in identity:
                if key in instance["attributes"]:
                    identity[key] = instance["attributes"][key]
        instances.append(instance)
    resource["instances"] = instances
    state["serial"] += 1
    path.write_text(json.dumps(state))


def setup_refresh(args, sim, count):
    """An orchestrator and `count` managed VMs in Terraform state; returns the work dir and
    VM ids."""
    t0 = time.perf_counter()
    guid, ids = sim.create_vms(PRIMARY, count)
    wd = WorkDir(args.terraform, args.plugin_dir, env=sim.provider_env())
    if count <= args.apply_limit:
        wd.write("main.tf", dr_config(guid, ids))
        wd.apply(args.setup_parallelism)
    else:
        wd.write("main.tf", dr_config(guid, ids[:SEED]))
        wd.apply(args.setup_parallelism)
        state = json.loads((wd.path / "terraform.tfstate").read_text())
        orchestrator = next(r for r in state["resources"] if r["type"] == "dr_orchestrator")
        orchestrator_id = orchestrator["instances"][0]["attributes"]["id"]
        host = orchestrator["instances"][0]["attributes"]["primary_ip_address"]
        names = {
            v["pvmInstanceID"]: v["serverName"] for v in sim.objects("power", "pvm_instances")
        }
        # The rest is managed the way dr_managed_vm does it (manage vm, the workgroup's
        # priority), then discovered in one go; KSYS itself, without SSH in between.

        def manage(vm_id):
            for command in (
                f"/opt/IBM/ksys/ksysmgr -f manage vm vmuuid={vm_id}",
                f"/opt/IBM/ksys/ksysmgr -f modify workgroup {names[vm_id]}_WG priority=Low",
            ):
                code, _, err = sim.ksys_exec(host, command)
                if code != 0:
                    raise SystemExit(f"{command}: exit {code}: {err}")

        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(manage, ids[SEED:]))
        code, _, err = sim.ksys_exec(host, "/opt/IBM/ksys/ksysmgr -f discover site us-south")
        if code != 0:
            raise SystemExit(f"discover site: exit {code}: {err}")
        template = next(r for r in state["resources"] if r["type"] == "dr_managed_vm")["instances"][0]
        template_name = template["attributes"]["vm_name"]

        def fill(attributes, vm_id):
            name = names[vm_id]
            attributes["id"] = f"{orchestrator_id}/{vm_id}"
            attributes["pvm_instance_id"] = vm_id
            for key, value in list(attributes.items()):
                if isinstance(value, str) and template_name in value:
                    attributes[key] = value.replace(template_name, name)

        grow_state(wd, "dr_managed_vm", "bulk", ids, fill)
        wd.write("main.tf", dr_config(guid, ids))
    log(f"  {count} VMs created and registered in {time.perf_counter() - t0:.1f}s")
    return wd, guid, ids


def setup_floor(args, guid, ids, matched=False):
    wd = WorkDir(args.terraform, args.plugin_dir)
    if len(ids) <= args.apply_limit:
        wd.write("main.tf", floor_config(guid, ids, matched))
        wd.apply(args.setup_parallelism)
        return wd
    wd.write("main.tf", floor_config(guid, ids[:SEED], matched))
    wd.apply(args.setup_parallelism)

    def fill(attributes, vm_id):
        attributes["id"] = str(uuid.uuid4())
        for side in ("input", "output"):
            attributes[side]["value"]["pvm_instance_id"] = vm_id

    grow_state(wd, "terraform_data", "bulk", ids, fill)
    wd.write("main.tf", floor_config(guid, ids, matched))
    return wd


def setup_twin(args, guid, ids):
    """The refresh scenario's configuration applied with the terraform-plugin-framework twin
    (no cloud behind it), its state grown like ours above the apply limit."""
    wd = WorkDir(args.terraform, args.twin_plugin_dir)
    if len(ids) <= args.apply_limit:
        wd.write("main.tf", dr_config(guid, ids, ssh=False))
        wd.apply(args.setup_parallelism)
        return wd
    wd.write("main.tf", dr_config(guid, ids[:SEED], ssh=False))
    wd.apply(args.setup_parallelism)
    state = json.loads((wd.path / "terraform.tfstate").read_text())
    orchestrator = next(r for r in state["resources"] if r["type"] == "dr_orchestrator")
    orchestrator_id = orchestrator["instances"][0]["attributes"]["id"]

    def fill(attributes, vm_id):
        # What the twin's Create computes (bench/twin/internal/dr/managed_vm.go).
        attributes["id"] = f"{orchestrator_id}/{vm_id}"
        attributes["pvm_instance_id"] = vm_id
        attributes["vm_name"] = f"vm-{vm_id[:8]}"

    grow_state(wd, "dr_managed_vm", "bulk", ids, fill)
    wd.write("main.tf", dr_config(guid, ids, ssh=False))
    return wd


def peak_rss_kb(wd, binary, plugin_dir):
    """Peak RSS (kB) of the largest provider process during one empty refresh plan in `wd`."""
    wrap_dir, log_path = rss_wrapper_dir(binary)
    wd.set_plugin_dir(wrap_dir)
    wd.plan_empty()
    wd.set_plugin_dir(plugin_dir)
    peaks = [int(x) for x in log_path.read_text().split()]
    log(f"  {binary}: provider processes during the plan: {len(peaks)}, peak RSS each (kB): {peaks}")
    shutil.rmtree(wrap_dir, ignore_errors=True)
    return max(peaks)


def interleaved_medians(runs, *fns):
    """Median seconds of each of `fns`, run in turn (a, b, a, b, ...) so that a change in the
    machine's load during the benchmark weighs on both sides alike."""
    samples = [[] for _ in fns]
    for _ in range(runs):
        for fn, bucket in zip(fns, samples):
            bucket.append(fn())
    return [statistics.median(bucket) for bucket in samples]


def bench_refresh(args, count, memory=False, runs=None, twin=False, matched=False):
    """Refresh-plan wall time of `count` applied managed VMs, of the floor and (with `twin` and
    --twin-plugin-dir) of the terraform-plugin-framework twin; requests of one plan; optionally
    peak RSS of the provider (and the twin) during one more plan."""
    twin = twin and bool(args.twin_plugin_dir)
    log(f"refresh: {count} dr_managed_vm vs {count} terraform_data" + (" vs the twin" if twin else ""))
    sim = Sim(args.sim, args.time_scale)
    try:
        wd, guid, ids = setup_refresh(args, sim, count)
        t0 = time.perf_counter()
        floor = setup_floor(args, guid, ids)
        log(f"  {count} terraform_data applied in {time.perf_counter() - t0:.1f}s")
        sides = [wd.plan_empty, floor.plan_empty]
        matched_wd = None
        if matched:
            t0 = time.perf_counter()
            matched_wd = setup_floor(args, guid, ids, matched=True)
            log(f"  {count} terraform_data holding a managed VM's values applied in "
                f"{time.perf_counter() - t0:.1f}s")
            sides.append(matched_wd.plan_empty)
        twin_wd = None
        if twin:
            t0 = time.perf_counter()
            twin_wd = setup_twin(args, guid, ids)
            log(f"  {count} twin dr_managed_vm applied in {time.perf_counter() - t0:.1f}s")
            sides.append(twin_wd.plan_empty)
        sim.reset_requests()
        wd.plan_empty()
        requests, routes = sim.requests()
        ssh_connections, ssh_sessions, ssh_commands = sim.ssh_counts()
        medians = interleaved_medians(runs or args.plan_runs, *sides)
        t_ours, t_floor = medians[:2]
        t_matched = medians[2] if matched else None
        t_twin = medians[-1] if twin else None
        peak_kb = twin_peak_kb = None
        if memory:
            peak_kb = peak_rss_kb(wd, Path(args.plugin_dir) / "terraform-provider-dr", args.plugin_dir)
            if twin_wd is not None:
                twin_peak_kb = peak_rss_kb(
                    twin_wd, Path(args.twin_plugin_dir) / "terraform-provider-dr", args.twin_plugin_dir
                )
        wd.close()
        floor.close()
        if matched_wd is not None:
            matched_wd.close()
        if twin_wd is not None:
            twin_wd.close()
    finally:
        sim.close()
    twin_text = f", twin {t_twin:.2f}s" if t_twin is not None else ""
    matched_text = f" (holding a managed VM's values {t_matched:.2f}s)" if t_matched is not None else ""
    log(f"  plan {t_ours:.2f}s vs floor {t_floor:.2f}s{matched_text}{twin_text}; {requests} requests: {routes}; "
        f"SSH: {ssh_connections} connection(s), {ssh_sessions} session(s), commands {ssh_commands}")
    return {"ours": t_ours, "floor": t_floor, "matched_floor": t_matched, "twin": t_twin, "requests": requests, "routes": routes,
            "peak_kb": peak_kb, "twin_peak_kb": twin_peak_kb, "ssh_connections": ssh_connections,
            "ssh_sessions": ssh_sessions, "ssh_commands": sum(ssh_commands.values())}


def query_config(orchestrator_id, count):
    """The `.tfquery.hcl` a user writes to find every VM the orchestrator manages (`limit`
    raised from Terraform's default of 100)."""
    return f"""list "dr_managed_vm" "all" {{
  provider = dr
  limit    = {count}

  config {{
    orchestrator_id = "{orchestrator_id}"
  }}
}}
"""


def bench_query(args):
    """`terraform query` of the managed VMs of the refresh scenario in a directory holding only
    the query (wall time, requests, SSH), then `-generate-config-out` and the plan of the
    generated configuration, which must only import (its requests and SSH too)."""
    count = args.query_count or args.refresh_count
    log(f"query: list \"dr_managed_vm\" of {count} managed VMs, then the plan that imports them")
    sim = Sim(args.sim, args.time_scale)
    try:
        owner, _, _ = setup_refresh(args, sim, count)
        state = json.loads((owner.path / "terraform.tfstate").read_text())
        orchestrator = next(r for r in state["resources"] if r["type"] == "dr_orchestrator")
        orchestrator_id = orchestrator["instances"][0]["attributes"]["id"]
        owner.close()
        adopter = WorkDir(args.terraform, args.plugin_dir, env=sim.provider_env())
        adopter.write("main.tf", HEADER)
        adopter.write("vms.tfquery.hcl", query_config(orchestrator_id, count))

        def query():
            t, _ = adopter.run("query", "-json", "-no-color")
            found = sum('"type":"list_resource_found"' in line for line in adopter.last_stdout.splitlines())
            if found != count:
                raise SystemExit(f"query found {found} managed VMs, wanted {count}")
            return t

        sim.reset_requests()
        query()
        requests, routes = sim.requests()
        ssh_connections, _, ssh_commands = sim.ssh_counts()
        t_query = statistics.median(query() for _ in range(args.plan_runs))

        sim.reset_requests()
        t_generate, _ = adopter.run("query", "-no-color", "-generate-config-out=generated.tf")
        generate_requests, _ = sim.requests()
        _, _, generate_ssh_commands = sim.ssh_counts()
        sim.reset_requests()
        t_plan, _ = adopter.run("plan", "-detailed-exitcode", "-input=false", "-no-color", ok_codes=(2,))
        summary = f"Plan: {count} to import, 0 to add, 0 to change, 0 to destroy."
        if summary not in adopter.last_stdout:
            raise SystemExit(f"the generated configuration does not only import:\n{adopter.last_stdout[-3000:]}")
        plan_requests, plan_routes = sim.requests()
        plan_ssh_connections, _, plan_ssh_commands = sim.ssh_counts()
        adopter.close()
    finally:
        sim.close()
    log(f"  query {t_query:.2f}s; {requests} requests: {routes}; SSH: {ssh_connections} connection(s), "
        f"commands {ssh_commands}")
    log(f"  generate-config {t_generate:.2f}s ({generate_requests} requests, SSH commands "
        f"{generate_ssh_commands}); import plan {t_plan:.2f}s; {plan_requests} requests: "
        f"{plan_routes}; SSH: {plan_ssh_connections} connection(s), commands {plan_ssh_commands}")
    return {"count": count, "query": t_query, "requests": requests,
            "ssh_connections": ssh_connections, "ssh_commands": sum(ssh_commands.values()),
            "generate": t_generate, "generate_requests": generate_requests,
            "generate_ssh_commands": sum(generate_ssh_commands.values()), "plan": t_plan, "plan_requests": plan_requests,
            "plan_ssh_connections": plan_ssh_connections,
            "plan_ssh_commands": sum(plan_ssh_commands.values())}


def bench_apply(args):
    """Apply of 200 managed VMs with 50 ms per request at -parallelism=10, against the ideal:
    Terraform's own time for 200 terraform_data plus requests x latency / parallelism.
    Each side is applied `apply_runs` times, in turn, removing the VMs again in between."""
    count, latency_ms, parallelism = args.apply_count, args.latency_ms, 10
    log(f"apply: {count} dr_managed_vm, {latency_ms} ms per request, -parallelism={parallelism}")
    sim = Sim(args.sim, args.time_scale)
    ours_times, floor_times, request_counts = [], [], []
    try:
        guid, ids = sim.create_vms(PRIMARY, count)
        wd = WorkDir(args.terraform, args.plugin_dir, env=sim.provider_env())
        floor = WorkDir(args.terraform, args.plugin_dir)
        wd.write("main.tf", dr_config(guid, []))
        wd.apply(parallelism)
        floor.write("main.tf", floor_config(guid, []))
        floor.apply(parallelism)
        for _ in range(args.apply_runs):
            wd.write("main.tf", dr_config(guid, ids))
            sim.set_latency(latency_ms)
            sim.reset_requests()
            ours_times.append(wd.apply(parallelism))
            requests, routes = sim.requests()
            request_counts.append(requests)
            sim.clear_faults()
            registered = len(sim.objects("ksys", "vms"))
            if registered != count:
                raise SystemExit(f"apply managed {registered} VMs, wanted {count}")
            floor.write("main.tf", floor_config(guid, ids))
            floor_times.append(floor.apply(parallelism))
            log(f"  apply {ours_times[-1]:.2f}s, floor {floor_times[-1]:.2f}s, {requests} requests: {routes}")
            wd.write("main.tf", dr_config(guid, []))
            wd.apply(50)
            floor.write("main.tf", floor_config(guid, []))
            floor.apply(50)
        wd.close()
        floor.close()
    finally:
        sim.close()
    t_ours, t_floor = statistics.median(ours_times), statistics.median(floor_times)
    requests = int(statistics.median(request_counts))
    ideal = t_floor + requests * latency_ms / 1000 / parallelism
    return {"ours": t_ours, "floor": t_floor, "requests": requests, "ideal": ideal}


def bench_micro(args):
    log("micro: cargo bench -p tf-framework --bench value_codec")
    subprocess.run(
        [
            "cargo", "bench", "--quiet", "-p", "tf-framework", "--bench", "value_codec", "--",
            "--noplot", "--warm-up-time", "1", "--measurement-time", "3",
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    figures = {}
    for estimates in sorted((target / "criterion").glob("value_codec_1000x10/*/new/estimates.json")):
        data = json.loads(estimates.read_text())
        figures[estimates.parent.parent.name] = data["median"]["point_estimate"] / 1e3  # µs
    return figures


def room_for_vms(args):
    """How many more PowerVS VMs the emulator's per-collection cap allows next to the
    scenario's own and the orchestrator's VM."""
    sim = Sim(args.sim, args.time_scale)
    try:
        existing = len(sim.objects("power", "pvm_instances"))
    finally:
        sim.close()
    return args.collection_cap - existing - 1


# --- report ------------------------------------------------------------------------------------


def verdict(ok):
    return "ok" if ok else "MISS"


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--terraform", required=True)
    p.add_argument("--plugin-dir", required=True, help="directory holding terraform-provider-dr")
    p.add_argument("--sim", required=True, help="dr-cloudsim binary")
    p.add_argument("--aws", help="terraform-provider-aws binary, for its size")
    p.add_argument("--time-scale", type=float, default=1000.0)
    p.add_argument("--validate-runs", type=int, default=31)
    p.add_argument("--echo-plugin-dir",
                   help="directory holding terraform-provider-echo (tf-framework's do-nothing provider)")
    p.add_argument("--twin-plugin-dir",
                   help="directory holding bench/twin's terraform-provider-dr (terraform-plugin-framework)")
    p.add_argument("--twin-echo-plugin-dir",
                   help="directory holding bench/twin's terraform-provider-echo (do-nothing, plugin-framework)")
    p.add_argument("--plan-runs", type=int, default=5)
    p.add_argument("--setup-parallelism", type=int, default=100)
    p.add_argument("--refresh-count", type=int, default=1000)
    p.add_argument("--apply-count", type=int, default=200)
    p.add_argument("--apply-runs", type=int, default=3)
    p.add_argument("--latency-ms", type=int, default=50)
    p.add_argument("--growth", default="100,1000,5000", help="sizes for the cost-growth plans")
    p.add_argument("--growth-runs", type=int, default=1,
                   help="plans per side at the sizes above --refresh-count (each takes ~20 s)")
    p.add_argument("--apply-limit", type=int, default=1000,
                   help="above this many VMs, write their state instead of applying it")
    p.add_argument("--collection-cap", type=int, default=10000, help="dr-cloudsim objects per collection")
    p.add_argument("--query-count", type=int, default=0,
                   help="managed VMs found by the query scenario (default: --refresh-count)")
    p.add_argument("--only", default="",
                   help="comma list of: startup,validate,refresh,query,apply,growth,micro")
    args = p.parse_args()
    args.plugin_dir = str(Path(args.plugin_dir).resolve())
    args.sim = str(Path(args.sim).resolve())
    for name in ("twin_plugin_dir", "twin_echo_plugin_dir", "echo_plugin_dir"):
        if getattr(args, name):
            setattr(args, name, str(Path(getattr(args, name)).resolve()))
    only = set(filter(None, args.only.split(",")))
    want = lambda name: not only or name in only  # noqa: E731
    started = time.perf_counter()
    load_at_start = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else ["?"]
    rows = []  # (measure, ours, twin, reference, ratio, target, verdict)

    if want("startup"):
        st = bench_startup(args)
        ours, aws, twin = st.get("ours"), st.get("aws"), st.get("twin")
        rows.append(("startup: exec -> handshake, median of 20", f"{ours:.2f} ms",
                     f"{twin:.2f} ms" if twin else "-",
                     f"aws {aws:.1f} ms" if aws else "-", f"{ours / aws:.3f}x" if aws else "-",
                     "<= 5 ms", verdict(ours is not None and ours <= 5)))
        if st.get("ours_echo") and st.get("twin_echo"):
            rows.append(("startup: do-nothing provider (reference)", f"{st['ours_echo']:.2f} ms",
                         f"{st['twin_echo']:.2f} ms", "-", f"{st['ours_echo'] / st['twin_echo']:.2f}x vs twin",
                         "-", "framework against framework"))

    binary = Path(args.plugin_dir) / "terraform-provider-dr"
    size_mb = binary.stat().st_size / 1e6
    aws = args.aws or next(iter(sorted(STARTUP_WORK.glob("aws/terraform-provider-aws_v3.39.0*"))), None)
    aws_mb = Path(aws).stat().st_size / 1e6 if aws else None
    twin_binary = Path(args.twin_plugin_dir) / "terraform-provider-dr" if args.twin_plugin_dir else None
    twin_mb = twin_binary.stat().st_size / 1e6 if twin_binary and twin_binary.exists() else None
    rows.insert(0, ("size: stripped release binary", f"{size_mb:.1f} MB",
                    f"{twin_mb:.1f} MB" if twin_mb else "-",
                    f"aws {aws_mb:.0f} MB" if aws_mb else "-", f"{size_mb / aws_mb:.2f}x" if aws_mb else "-",
                    "<= 20 MB", verdict(size_mb <= 20)))

    if want("validate"):
        log("validate: examples/complete vs the same shape of terraform_data")
        v = bench_validate(args)
        ours, floor = v["complete"], v["complete_floor"]
        ratio = ours / floor
        rows.append((f"validate: examples/complete, median of {args.validate_runs}", f"{ours:.3f} s", "-",
                     f"floor {floor:.3f} s", f"{ratio:.2f}x", "<= 1.3x", verdict(ratio <= 1.3)))
        if "shape" in v:
            ours, twin, floor = v["shape"], v["shape_twin"], v["shape_floor"]
            rows.append((f"validate: refresh configuration ({VALIDATE_SHAPE_VMS} VMs)", f"{ours:.3f} s",
                         f"{twin:.3f} s ({twin / floor:.2f}x)", f"floor {floor:.3f} s", f"{ours / floor:.2f}x",
                         "-", f"ours/twin {ours / twin:.2f}x"))
        if "echo" in v:
            echo, echo_floor = v["echo"], v["echo_floor"]
            twin = v.get("twin_echo")
            rows.append(("validate: do-nothing provider, 1 resource (reference)", f"{echo:.3f} s",
                         f"{twin:.3f} s ({twin / echo_floor:.2f}x)" if twin else "-",
                         f"floor {echo_floor:.3f} s", f"{echo / echo_floor:.2f}x", "-",
                         "Terraform's cost of any provider"))

    refresh = None
    if want("refresh") or want("growth"):
        refresh = bench_refresh(args, args.refresh_count, memory=True, twin=True, matched=True)
        ratio = refresh["ours"] / refresh["floor"]
        n = args.refresh_count
        t_twin = refresh["twin"]
        rows.append((f"refresh: plan of {n} dr_managed_vm, median of {args.plan_runs}", f"{refresh['ours']:.2f} s",
                     f"{t_twin:.2f} s ({t_twin / refresh['floor']:.2f}x)" if t_twin else "-",
                     f"floor {refresh['floor']:.2f} s", f"{ratio:.2f}x", "<= 1.5x", verdict(ratio <= 1.5)))
        matched = refresh["matched_floor"]
        rows.append(("refresh: the same plan, floor holding a managed VM's 19 values",
                     f"{refresh['ours']:.2f} s", f"{t_twin / matched:.2f}x" if t_twin else "-",
                     f"floor {matched:.2f} s", f"{refresh['ours'] / matched:.2f}x", "-",
                     "Terraform's own cost of that much state"))
        rows.append((f"refresh: HTTP requests of that plan", f"{refresh['requests']}",
                     "0 (no cloud)" if t_twin else "-", "-", "-",
                     "<= 20", verdict(refresh["requests"] <= 20)))
        ssh_ok = refresh["ssh_connections"] <= 1 and refresh["ssh_commands"] <= 3
        rows.append((f"refresh: SSH of that plan (connections / remote commands)",
                     f"{refresh['ssh_connections']} / {refresh['ssh_commands']}", "-", "-", "-",
                     "1 / <= 3 per orchestrator", verdict(ssh_ok)))
        peak_mb = refresh["peak_kb"] / 1024
        twin_kb = refresh["twin_peak_kb"]
        rows.append((f"memory: provider peak RSS in that plan", f"{peak_mb:.1f} MiB",
                     f"{twin_kb / 1024:.1f} MiB" if twin_kb else "-", "-", "-",
                     "<= 40 MB", verdict(peak_mb * 1.048576 <= 40)))

    if want("query"):
        q = bench_query(args)
        n = q["count"]
        rows.append((f"query: terraform query of {n} managed VMs, median of {args.plan_runs}",
                     f"{q['query']:.2f} s", "-",
                     f"refresh {refresh['ours']:.2f} s" if refresh and args.refresh_count == n else "-",
                     "-", "-", "-"))
        rows.append(("query: HTTP requests of that query", f"{q['requests']}", "-", "-", "-",
                     "<= 20", verdict(q["requests"] <= 20)))
        query_ssh_ok = q["ssh_connections"] <= 1 and q["ssh_commands"] <= 3
        rows.append(("query: SSH of that query (connections / remote commands)",
                     f"{q['ssh_connections']} / {q['ssh_commands']}", "-", "-", "-",
                     "1 / <= 3 per orchestrator", verdict(query_ssh_ok)))
        rows.append((f"query: -generate-config-out, then plan ({n} to import, 0 to change)",
                     f"{q['generate']:.2f} s + {q['plan']:.2f} s", "-", "-", "-", "-",
                     f"generate: {q['generate_requests']} req, {q['generate_ssh_commands']} cmds; "
                     f"plan: {q['plan_requests']} req, SSH {q['plan_ssh_connections']} / "
                     f"{q['plan_ssh_commands']}"))

    if want("apply"):
        a = bench_apply(args)
        ratio = a["ours"] / a["ideal"]
        rows.append((f"apply: {args.apply_count} dr_managed_vm, {args.latency_ms} ms/request, -parallelism=10",
                     f"{a['ours']:.2f} s", "-", f"ideal {a['ideal']:.2f} s ({a['floor']:.2f} s + {a['requests']} req)",
                     f"{ratio:.2f}x", "<= 1.3x", verdict(ratio <= 1.3)))

    if want("growth"):
        sizes = [int(n) for n in args.growth.split(",")]
        room = room_for_vms(args)
        points = []
        for size in sizes:
            actual = min(size, room)
            if actual != size:
                log(f"growth: {size} VMs do not fit under dr-cloudsim's cap of {args.collection_cap} "
                    f"objects per collection; measuring {actual}")
            if refresh is not None and actual == args.refresh_count:
                r = refresh
            else:
                runs = args.plan_runs if actual <= args.refresh_count else args.growth_runs
                r = bench_refresh(args, actual, runs=runs)
            points.append((actual, r["ours"], r["floor"], r["requests"]))
        for n, t, f, req in points:
            rows.append((f"growth: refresh plan of {n} managed VMs", f"{t:.2f} s ({t / n * 1e3:.2f} ms/VM)", "-",
                         f"floor {f:.2f} s ({f / n * 1e3:.2f} ms/VM)", f"{t / f:.2f}x",
                         "linear", f"{req} req"))
        # Terraform's own plan time grows faster than linearly with the instance count (it
        # copies a resource's whole state per instance); "linear" for the provider means it adds
        # no growth of its own: its time stays a constant multiple of the floor's.
        if len(points) >= 2:
            (n0, t0, f0, _), (n1, t1, f1, _) = points[-2], points[-1]
            drift = (t1 / f1) / (t0 / f0)
            rows.append((f"growth: ratio to floor, {n1} vs {n0} VMs", f"{t1 / f1:.2f}x vs {t0 / f0:.2f}x", "-",
                         f"floor x{f1 / f0:.1f} for x{n1 / n0:.1f} VMs", f"{drift:.2f}",
                         "<= 1.25", verdict(drift <= 1.25)))

    if want("micro"):
        for name, us in bench_micro(args).items():
            rows.append((f"micro: {name}, 1,000 objects x 10 attrs", f"{us:,.0f} us", "-",
                         f"{us * 1e3 / 1000:.0f} ns/object", "-", "criterion", "-"))

    header = ("measure", "ours", "twin (plugin-framework)", "reference", "ratio", "target", "")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    print()
    for row in [header] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else ["?"]
    print(f"\n(total bench time {time.perf_counter() - started:.0f} s; load average at the start "
          f"{' '.join(load_at_start)}, at the end {' '.join(load)}; {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
