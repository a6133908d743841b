#!/usr/bin/env bash
# The long run of issue #8, beyond what CI affords: the full-size load test (1,000 managed VMs
# across 10 orchestrators in one apply at -parallelism=20 under 20% 429s), the fault suite
# (rate limits, 500s, latency, 10 s tokens; dr-cloudsim killed and restarted; Ctrl-C) repeated,
# and longer fuzzing. Prints the figures (request counts, wall times) as it goes.
#
#   scripts/soak.sh                      defaults below; about 15 minutes on 2 cores
#   SOAK_VMS=2000 SOAK_ORCHESTRATORS=20 scripts/soak.sh
#   SOAK_ROUNDS=5 SOAK_FUZZ_SECONDS=600 scripts/soak.sh
#
# CI runs the same tests scaled down (cargo test -p acctests: 100 VMs across 2 orchestrators,
# one fault round; scripts/test.sh: 20 s per fuzz target).
set -euo pipefail
cd "$(dirname "$0")/.."

vms="${SOAK_VMS:-1000}"
orchestrators="${SOAK_ORCHESTRATORS:-10}"
parallelism="${SOAK_PARALLELISM:-20}"
rate_429="${SOAK_429_RATE:-0.2}"
rounds="${SOAK_ROUNDS:-3}"
fuzz_seconds="${SOAK_FUZZ_SECONDS:-120}"

step() { printf '\n==> %s\n' "$*"; }
now() { date +%s; }
started="$(now)"

step "building the provider, the test provider and dr-cloudsim"
cargo build --workspace --bins --quiet
scripts/install-terraform.sh >/dev/null

step "load: $vms managed VMs across $orchestrators orchestrators, -parallelism=$parallelism, ${rate_429} 429s"
t="$(now)"
DR_LOAD_VMS="$vms" DR_LOAD_ORCHESTRATORS="$orchestrators" DR_LOAD_PARALLELISM="$parallelism" \
  DR_LOAD_429_RATE="$rate_429" \
  cargo test -p acctests --quiet --test load -- --nocapture 2>&1 | grep -E '^load:|test result|panicked|FAILED'
echo "load finished in $(( $(now) - t )) s"

for round in $(seq "$rounds"); do
  step "faults, round $round of $rounds"
  t="$(now)"
  cargo test -p acctests --quiet --test faults -- --nocapture 2>&1 | grep -E '^faults:|test result|panicked|FAILED'
  echo "round $round finished in $(( $(now) - t )) s"
done

step "fuzzing every target for ${fuzz_seconds} s"
t="$(now)"
scripts/fuzz.sh "$fuzz_seconds" 2>&1 | grep -E '^== |^Done |SUMMARY|panicked|deadly signal'
echo "fuzzing finished in $(( $(now) - t )) s"

step "soak passed in $(( $(now) - started )) s"
