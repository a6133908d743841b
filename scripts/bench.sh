#!/usr/bin/env bash
# The benchmark command: every figure of docs/performance.md, measured side by side in one run.
#
#   scripts/bench.sh                 everything (about 10 minutes on 2 cores, after the builds)
#   scripts/bench.sh --only refresh,query,apply
#   scripts/bench.sh --growth 100,1000     skip the 5,000-VM point
#
# It builds what it measures (the packaged static terraform-provider-dr and dr-cloudsim), installs
# Terraform 1.15.5 (scripts/install-terraform.sh), fetches terraform-provider-aws 3.39.0 for
# the startup and size comparison (scripts/bench-startup.sh), builds the terraform-plugin-framework
# twin of bench/twin (Go, from the module proxy), then runs bench/bench.py, which prints one
# table: ours and the twin beside each other and beside the reference. Every scenario runs
# against a fresh dr-cloudsim and Terraform's own floor (built-in terraform_data of the same
# shape), in turn, so a change of machine load weighs on all sides. These are benchmarks, not
# tests: nothing here is part of CI.
#
# Extra arguments go to bench/bench.py (see `python3 bench/bench.py --help`).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# The provider measured is the one users get: scripts/package.sh's static release build
# (its zip goes to a scratch directory; the binary stays in target/package).
echo "building the packaged terraform-provider-dr and release dr-cloudsim ..." >&2
package_target="${PACKAGE_TARGET_DIR:-$root/target/package}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
PACKAGE_TARGET_DIR="$package_target" DIST_DIR="$scratch" scripts/package.sh >/dev/null
# tf-framework's do-nothing provider, linked the same way: the validate reference of what any
# provider costs Terraform.
RUSTFLAGS="-C target-feature=+crt-static" CARGO_TARGET_DIR="$package_target" \
  cargo build --release --locked --quiet --target x86_64-unknown-linux-gnu \
  -p tf-framework --bin tf-framework-echo-provider
mkdir -p "$scratch/echo"
cp "$package_target/x86_64-unknown-linux-gnu/release/tf-framework-echo-provider" \
  "$scratch/echo/terraform-provider-echo"
cargo build --quiet --release -p dr-cloudsim --bin dr-cloudsim

# The terraform-plugin-framework twin (bench/twin) and its do-nothing provider, built the way
# Go providers are released (static, trimmed, stripped); Go's caches sit in .tools/go, so only
# the first run compiles the framework.
echo "building the terraform-plugin-framework twin (bench/twin) ..." >&2
twin_dir="$root/.tools/bench-twin"
(
  # shellcheck source=scripts/go-env.sh
  . "$root/scripts/go-env.sh"
  cd "$root/bench/twin"
  go build -trimpath -ldflags "-s -w" -o "$twin_dir/dr/terraform-provider-dr" ./cmd/terraform-provider-dr
  go build -trimpath -ldflags "-s -w" -o "$twin_dir/echo/terraform-provider-echo" ./cmd/terraform-provider-echo
)

terraform="$(scripts/install-terraform.sh "${TF_BENCH_TERRAFORM_VERSION:-1.15.5}")"
target="${CARGO_TARGET_DIR:-$root/target}"

python3 bench/bench.py \
  --terraform "$terraform" \
  --plugin-dir "$package_target/x86_64-unknown-linux-gnu/release" \
  --sim "$target/release/dr-cloudsim" \
  --echo-plugin-dir "$scratch/echo" \
  --twin-plugin-dir "$twin_dir/dr" \
  --twin-echo-plugin-dir "$twin_dir/echo" \
  "$@"
