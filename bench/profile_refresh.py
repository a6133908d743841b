#!/usr/bin/env python3
"""Where the refresh plan's CPU goes: Terraform or the provider.

Sets up bench.py's refresh scenario (1,000 applied dr_managed_vm and the terraform_data floors),
runs one refresh plan of each side under `perf record`, and prints each side's CPU by process
and the Terraform functions that cost ours more than the floor. The ratio of bench.py compares
wall times; this tells which side of the plugin protocol a difference belongs to. Needs `perf`
and a provider built with symbols:

    CARGO_PROFILE_RELEASE_STRIP=false cargo build --release --bin terraform-provider-dr
    python3 bench/profile_refresh.py --terraform .venv-tf-1.15.5/bin/terraform \\
        --plugin-dir target/release --sim target/release/dr-cloudsim
"""

import argparse
import collections
import subprocess
import sys
import tempfile
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402


def perf_profile(wd, out):
    """Records one refresh plan in `wd`; returns {(process, function): samples} and the total."""
    terraform = wd.terraform
    wd.terraform = "perf"
    try:
        wd.run("record", "-F", "499", "-g", "-o", str(out), "--", terraform,
               "plan", "-detailed-exitcode", "-input=false", "-no-color")
    finally:
        wd.terraform = terraform
    script = subprocess.run(["perf", "script", "-i", str(out)], capture_output=True, text=True).stdout
    by_process = collections.Counter()
    inclusive = collections.Counter()
    samples = 0
    for block in script.split("\n\n"):
        lines = block.strip().splitlines()
        if not lines:
            continue
        samples += 1
        process = lines[0].split()[0]
        by_process[process] += 1
        seen = set()
        for frame in lines[1:]:
            parts = frame.strip().split(" ", 1)
            if len(parts) == 2:
                function = parts[1].split(" (")[0].split("+0x")[0]
                if function not in seen:
                    seen.add(function)
                    inclusive[function] += 1
    return by_process, inclusive, samples


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--terraform", required=True)
    p.add_argument("--plugin-dir", required=True, help="directory holding an unstripped terraform-provider-dr")
    p.add_argument("--sim", required=True, help="dr-cloudsim binary")
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--top", type=int, default=25)
    cli = p.parse_args()
    args = types.SimpleNamespace(
        terraform=str(Path(cli.terraform).resolve()), plugin_dir=str(Path(cli.plugin_dir).resolve()),
        sim=str(Path(cli.sim).resolve()), time_scale=1000.0, apply_limit=50, setup_parallelism=100,
    )
    hz = 499
    sim = bench.Sim(args.sim, args.time_scale)
    try:
        wd, guid, ids = bench.setup_refresh(args, sim, cli.count)
        floor = bench.setup_floor(args, guid, ids)
        with tempfile.TemporaryDirectory(prefix="bench-perf-") as tmp:
            ours = perf_profile(wd, Path(tmp) / "ours.data")
            base = perf_profile(floor, Path(tmp) / "floor.data")
        wd.close()
        floor.close()
    finally:
        sim.close()
    for name, (by_process, _, samples) in (("ours", ours), ("floor", base)):
        print(f"{name}: {samples / hz:.2f} s of CPU sampled")
        for process, n in by_process.most_common(6):
            print(f"  {process:<20} {n / hz:6.2f} s  {100 * n / samples:5.1f} %")
    print("\nfunctions (inclusive) that cost ours more CPU than the floor, seconds:")
    extra = {f: (ours[1][f] - base[1].get(f, 0)) / hz for f in ours[1]}
    for function, seconds in sorted(extra.items(), key=lambda kv: -kv[1])[: cli.top]:
        print(f"  {seconds:6.2f}  {function[-110:]}")


if __name__ == "__main__":
    main()
