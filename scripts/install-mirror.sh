#!/usr/bin/env bash
# Installs the packaged provider (dist/, from scripts/package.sh) where Terraform finds it without
# a registry:
#
#   scripts/install-mirror.sh DIR [--unpacked] [--version X.Y.Z]
#
# Packed (default): DIR/registry.terraform.io/powervs/dr/terraform-provider-dr_X.Y.Z_linux_amd64.zip,
#   the layout of a `filesystem_mirror { path = "DIR" }` block in the CLI configuration.
# Unpacked: DIR/registry.terraform.io/powervs/dr/X.Y.Z/linux_amd64/terraform-provider-dr_vX.Y.Z.
#   With DIR = <template repository>/terraform.d/plugins this is the implied local mirror that
#   Terraform searches in the working directory, which is how an IBM Schematics template
#   repository can carry the provider next to its .tf files.
#
# Packages first when dist/ has no zip for the version. Prints the installed path.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

usage() { echo "usage: scripts/install-mirror.sh DIR [--unpacked] [--version X.Y.Z]" >&2; exit 2; }
[ $# -ge 1 ] || usage
dir="$1"; shift
unpacked=false
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' "$root/Cargo.toml")"
while [ $# -gt 0 ]; do
  case "$1" in
    --unpacked) unpacked=true ;;
    --version) [ $# -ge 2 ] || usage; version="${2#v}"; shift ;;
    *) usage ;;
  esac
  shift
done

zip="${DIST_DIR:-$root/dist}/terraform-provider-dr_${version}_linux_amd64.zip"
if [ ! -f "$zip" ]; then
  "$root/scripts/package.sh" "$version" >/dev/null
fi

namespace_dir="$dir/registry.terraform.io/powervs/dr"
if $unpacked; then
  dest="$namespace_dir/$version/linux_amd64"
  rm -rf "$dest"
  mkdir -p "$dest"
  python3 - "$zip" "$dest" <<'PY'
import os, sys, zipfile
src, dest = sys.argv[1:3]
with zipfile.ZipFile(src) as z:
    for info in z.infolist():
        path = z.extract(info, dest)
        mode = (info.external_attr >> 16) & 0o777
        if mode:
            os.chmod(path, mode)
PY
  echo "$dest/terraform-provider-dr_v$version"
else
  mkdir -p "$namespace_dir"
  cp "$zip" "$namespace_dir/"
  echo "$namespace_dir/$(basename "$zip")"
fi
