#!/usr/bin/env bash
# Builds the release artefacts of the provider for linux_amd64 in the Terraform Registry's naming:
#   dist/terraform-provider-dr_X.Y.Z_linux_amd64.zip    (holds terraform-provider-dr_vX.Y.Z)
#   dist/terraform-provider-dr_X.Y.Z_SHA256SUMS
#   dist/terraform-provider-dr_X.Y.Z_manifest.json      (copy of terraform-registry-manifest.json)
#
#   scripts/package.sh [VERSION]     (default: the workspace version in Cargo.toml)
#
# The binary is linked statically so it runs on any linux_amd64 host, IBM Schematics included.
# The musl target cannot be installed on every build machine, so this links glibc statically
# (`+crt-static` on x86_64-unknown-linux-gnu, which needs the libc6-dev static archives) and then
# checks with `file`/`ldd` that no dynamic loader is involved. The build uses its own target
# directory so it never holds the lock of the everyday debug builds.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

default_version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)"
version="${1:-$default_version}"
version="${version#v}"
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "package: '$version' is not a semantic version X.Y.Z" >&2
  exit 2
fi

name=terraform-provider-dr
target=x86_64-unknown-linux-gnu
os_arch=linux_amd64
export CARGO_TARGET_DIR="${PACKAGE_TARGET_DIR:-$root/target/package}"

echo "==> cargo build --release (static, $target)" >&2
# RUSTFLAGS with an explicit --target apply to the provider only, not to build scripts and
# proc-macros, which must stay dynamic host binaries. The shipped binary gets whole-program LTO
# in one codegen unit: 17.6 MB instead of 20.5 MB with the workspace's everyday release profile
# (thin LTO, four units), for a slower build that only packaging pays.
CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
  RUSTFLAGS="-C target-feature=+crt-static" \
  cargo build --release --locked --quiet --target "$target" -p terraform-provider-dr --bin "$name"
built="$CARGO_TARGET_DIR/$target/release/$name"

description="$(file -b "$built")"
loader="$(ldd "$built" 2>&1 || true)"
if ! grep -Eq 'statically linked|static-pie linked' <<<"$description" \
  || ! grep -Eq 'not a dynamic executable|statically linked' <<<"$loader"; then
  echo "package: $built is not a static executable:" >&2
  echo "  file: $description" >&2
  echo "  ldd: $loader" >&2
  exit 1
fi
echo "    static: $description" >&2

dist="${DIST_DIR:-$root/dist}"
mkdir -p "$dist"
zip_name="${name}_${version}_${os_arch}.zip"
sums_name="${name}_${version}_SHA256SUMS"
manifest_name="${name}_${version}_manifest.json"
rm -f "$dist/$zip_name" "$dist/$sums_name" "$dist/$manifest_name"

# Python's zipfile keeps the tool list short (no `zip` needed) and sets the executable bit.
python3 - "$built" "$dist/$zip_name" "${name}_v${version}" <<'PY'
import sys, zipfile
src, dest, member = sys.argv[1:4]
info = zipfile.ZipInfo(member, date_time=(2024, 1, 1, 0, 0, 0))
info.external_attr = (0o100755 << 16)
info.compress_type = zipfile.ZIP_DEFLATED
with open(src, "rb") as f, zipfile.ZipFile(dest, "w") as z:
    z.writestr(info, f.read(), compresslevel=9)
PY

cp "$root/terraform-registry-manifest.json" "$dist/$manifest_name"
(cd "$dist" && sha256sum "$zip_name" "$manifest_name" >"$sums_name")

size() { stat -c %s "$1"; }
echo "==> dist/ (version $version)" >&2
echo "    $zip_name  $(size "$dist/$zip_name") bytes (binary $(size "$built") bytes)" >&2
echo "    $sums_name" >&2
echo "    $manifest_name" >&2
echo "$dist/$zip_name"
