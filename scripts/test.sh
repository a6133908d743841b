#!/usr/bin/env bash
# Runs every test of the project: formatting and lints, unit and protocol tests, dr-cloudsim's
# tests (including IBM's official Python SDKs against it), and the acceptance tests with real
# Terraform. Everything it needs is installed by the project's own scripts.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "installing Terraform ${TF_ACC_TERRAFORM_VERSION:-1.15.5} and the Python SDKs (project-local virtualenvs)"
scripts/install-terraform.sh >/dev/null
scripts/install-terraform.sh 1.6.6 >/dev/null
# sim/tests/sdk.rs fails without them (it skips only with DR_ALLOW_MISSING_SDKS=1).
scripts/setup-python.sh
# The OpenSSH client: dr-cloudsim's interoperability test runs `ssh -J` against it.
scripts/install-openssh-client.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "building the provider, the test provider and dr-cloudsim"
cargo build --workspace --bins --quiet

step "docs/ matches the provider schema and examples/"
scripts/docs.sh --check

step "tests"
cargo test --workspace --no-fail-fast --quiet 2>&1 | tee target/test-output.txt

step "acceptance smoke on Terraform 1.6.6"
TF_ACC_TERRAFORM_VERSION=1.6.6 cargo test -p acctests --quiet --test framework_thing --test compat 2>&1 | tail -n 8

# The compatibility suite on the versions between (about 20 s each, install included).
for version in 1.10.5 1.12.2; do
    step "compatibility suite on Terraform ${version}"
    scripts/install-terraform.sh "${version}" >/dev/null
    TF_ACC_TERRAFORM_VERSION="${version}" cargo test -p acctests --quiet --test compat 2>&1 | tail -n 8
done

# The Terraform users download today is newer than PyPI's: build it from its Go module (Go and
# the module proxy): 3 to 7 minutes on a busy 2-core machine with nothing cached (a fresh clone,
# as in CI: 173 s), seconds after that.
step "compatibility suite and examples on Terraform 1.16.4 (built from its Go module)"
scripts/install-terraform.sh 1.16.4 >/dev/null
TF_ACC_TERRAFORM_VERSION=1.16.4 cargo test -p acctests --quiet --test compat --test examples 2>&1 | tail -n 8
step "fuzzing every framework/fuzz target for 20 s"; scripts/fuzz.sh 20 >target/fuzz-output.txt 2>&1 || { tail -n 80 target/fuzz-output.txt; exit 1; }
