#!/usr/bin/env bash
# Builds the fuzz targets of framework/fuzz (value codecs, schema-driven decoding) and runs each
# for N seconds.
#
#   scripts/fuzz.sh [seconds]      default 30 seconds per target
#
# cargo-fuzz passes nightly-only flags (-Zsanitizer=address, sancov); only stable Rust is
# installed here, and RUSTC_BOOTSTRAP=1 lets stable rustc accept them. Findings land in
# framework/fuzz/artifacts/<target>/, the growing corpus in framework/fuzz/corpus/<target>/
# (both ignored by git); framework/fuzz/seeds/<target>/ holds hand-made starting inputs.
set -euo pipefail

seconds="${1:-30}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/framework"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

export RUSTC_BOOTSTRAP=1
cargo fuzz build

for target in $(cargo fuzz list); do
    mkdir -p "fuzz/corpus/$target"
    echo "== fuzzing $target for ${seconds}s"
    cargo fuzz run "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
        -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1
done
