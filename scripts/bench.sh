#!/usr/bin/env bash
# The benchmark command: every figure of docs/performance.md, measured side by side in one run.
#
#   scripts/bench.sh                 everything (about 10 minutes on 2 cores, after the builds)
#   scripts/bench.sh --only refresh,apply
#   scripts/bench.sh --growth 100,1000     skip the 5,000-VM point
#
# It builds what it measures (release terraform-provider-dr and dr-cloudsim), installs
# Terraform 1.15.5 (scripts/install-terraform.sh), fetches terraform-provider-aws 3.39.0 for
# the startup and size comparison (scripts/bench-startup.sh), then runs bench/bench.py, which
# prints one table. Every scenario runs against a fresh dr-cloudsim and Terraform's own floor
# (built-in terraform_data of the same shape), in turn, so a change of machine load weighs on
# both. These are benchmarks, not tests: nothing here is part of CI.
#
# Extra arguments go to bench/bench.py (see `python3 bench/bench.py --help`).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

echo "building release terraform-provider-dr and dr-cloudsim ..." >&2
cargo build --quiet --release -p terraform-provider-dr --bin terraform-provider-dr -p dr-cloudsim --bin dr-cloudsim

terraform="$(scripts/install-terraform.sh "${TF_BENCH_TERRAFORM_VERSION:-1.15.5}")"
target="${CARGO_TARGET_DIR:-$root/target}"

exec python3 bench/bench.py \
  --terraform "$terraform" \
  --plugin-dir "$target/release" \
  --sim "$target/release/dr-cloudsim" \
  "$@"
