#!/usr/bin/env bash
# Regenerates docs/ (registry layout) from the provider schema and examples/:
#   scripts/docs.sh            writes docs/index.md, docs/resources, docs/data-sources, docs/functions
#   scripts/docs.sh --check    fails when docs/ differs from what the schema and examples give
# docs/guides/ is written by hand. The generator is the xtask crate (xtask/src/render.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --quiet -p xtask -- docs "$@"
