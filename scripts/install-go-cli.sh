#!/usr/bin/env bash
# Builds a Terraform-compatible CLI from its Go module (through the Go module proxy) into a
# project-local directory and prints the executable's path.
#
#   scripts/install-go-cli.sh terraform 1.16.4    -> .venv-tf-1.16.4/bin/terraform
#   scripts/install-go-cli.sh opentofu 1.12.6     -> .venv-tf-tofu-1.12.6/bin/tofu
#
# Usually called through scripts/install-terraform.sh (`1.16.4`, `tofu-1.12.6`). Idempotent: a
# second run only prints the path.
#
# Why not `go install module@version`: both modules carry `replace` directives, which `go
# install` refuses. So the module is downloaded (its h1: checksum compared with the one pinned
# here, besides the go command's own checksum-database check), copied to a writable directory
# and built there with `GOFLAGS=-mod=mod`, as a release build (`version.dev=no`, so the CLI
# reports the plain version).
#
# Terraform's module has one more catch: nine remote-state backends (azurerm, consul, cos, gcs,
# kubernetes, oss, pg, s3, oci) and internal/legacy are nested modules, which a module zip
# leaves out, and the proxy serves no version of them that matches the release. They are
# dropped from the build (the `replace`/`require` lines and their registration in
# internal/backend/init): the CLI built here knows the local, remote, cloud, http and inmem
# backends only. The tests use the local one.
#
# Everything lives under the project: the Go module and build caches in .tools/go, the sources
# in .tools/src, the binary in .venv-tf-*. If a module's go.mod asks for a newer Go than the
# installed one, GOTOOLCHAIN is set to it (the go command then fetches that toolchain from the
# module proxy) and the script says so.
set -euo pipefail

flavour="${1:?usage: install-go-cli.sh terraform|opentofu VERSION}"
version="${2:?usage: install-go-cli.sh terraform|opentofu VERSION}"
root="$(cd "$(dirname "$0")/.." && pwd)"

case "$flavour/$version" in
  terraform/1.16.4)
    module=github.com/hashicorp/terraform
    sum="h1:0yyJB6OufO0kqoNg95TGhf+41NsG77th1DPSnKBD878="
    main=.
    exe=terraform
    dir="$root/.venv-tf-$version"
    ;;
  opentofu/1.12.6)
    module=github.com/opentofu/opentofu
    sum="h1:0VT4P8pMmGcCUnQ9JDrJ+Qg2d35Vzm4FFd/9+H7oF98="
    main=./cmd/tofu
    exe=tofu
    dir="$root/.venv-tf-tofu-$version"
    ;;
  *)
    echo "install-go-cli: unsupported '$flavour $version' (supported: terraform 1.16.4, opentofu 1.12.6)" >&2
    exit 2
    ;;
esac
bin="$dir/bin/$exe"

if [ -x "$bin" ] && "$bin" version >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi

mkdir -p "$dir/bin"
# One build at a time (two test runs may ask at once); the second finds the first one's binary.
exec 9>"$dir/.install.lock"
flock 9
if [ -x "$bin" ] && "$bin" version >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi

# shellcheck source=scripts/go-env.sh
. "$root/scripts/go-env.sh"

started=$SECONDS
# The go command's own output (hundreds of "downloading" lines) goes to a log, shown on failure.
log="$dir/build.log"
: >"$log"
trap 'status=$?; [ $status -eq 0 ] || { tail -n 40 "$log" >&2; echo "install-go-cli: failed, full log: $log" >&2; }' EXIT
echo "install-go-cli: downloading $module@v$version ..." >&2
info="$(go mod download -json "$module@v$version" 2>>"$log")"
got_sum="$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Sum": "\(.*\)",$/\1/p')"
module_dir="$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
if [ "$got_sum" != "$sum" ]; then
  echo "install-go-cli: $module@v$version has checksum '$got_sum', pinned '$sum'" >&2
  exit 1
fi

src="$root/.tools/src/$flavour-$version"
rm -rf "$src"
mkdir -p "$(dirname "$src")"
cp -r "$module_dir" "$src"
chmod -R u+w "$src"
cd "$src"

if [ "$flavour" = terraform ]; then
  nested=(azure consul cos gcs kubernetes oss pg s3 oci)
  edits=(-dropreplace=github.com/hashicorp/terraform/internal/legacy
         -droprequire=github.com/hashicorp/terraform/internal/legacy)
  for b in "${nested[@]}"; do
    edits+=("-dropreplace=github.com/hashicorp/terraform/internal/backend/remote-state/$b"
            "-droprequire=github.com/hashicorp/terraform/internal/backend/remote-state/$b")
  done
  go mod edit "${edits[@]}" 2>>"$log"
  # The imports and map entries of those backends (each line names its import alias).
  sed -i -E '/backend(Azure|Consul|Cos|GCS|Kubernetes|OCI|OSS|Pg|S3)([^A-Za-z]|$)/d' \
    internal/backend/init/init.go
fi

# A newer Go than the installed one, if go.mod's minimum (its `go` line; a `toolchain` line is
# only a preference) asks for it.
need="$(sed -n 's/^go \([0-9.]*\)$/\1/p' go.mod)"
have="$(go env GOVERSION | sed 's/^go//')"
if [ -n "$need" ] && [ "$(printf '%s\n%s\n' "$have" "$need" | sort -V | tail -n1)" != "$have" ]; then
  export GOTOOLCHAIN="go$need"
  echo "install-go-cli: go.mod asks for Go $need (installed: $have); building with GOTOOLCHAIN=$GOTOOLCHAIN" >&2
fi

echo "install-go-cli: building $exe $version (a first build takes several minutes) ..." >&2
go build -trimpath -ldflags "-s -w -X $module/version.dev=no" -o "$bin.tmp" "$main" 2>>"$log"
mv "$bin.tmp" "$bin"
echo "install-go-cli: built $bin in $((SECONDS - started)) s" >&2
TF_CLI_CONFIG_FILE=/dev/null CHECKPOINT_DISABLE=1 "$bin" version >&2
echo "$bin"
