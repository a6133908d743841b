#!/usr/bin/env bash
# Creates the project-local virtualenv .venv-py holding IBM's official Python SDKs
# (scripts/python-requirements.txt). sim/tests/sdk.rs drives dr-cloudsim with them.
# Idempotent: a venv whose recorded requirements match is left alone.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${repo_root}/.venv-py"
requirements="${repo_root}/scripts/python-requirements.txt"
stamp="${venv}/.requirements-installed"
python_bin="${PYTHON:-python3}"

if [[ -x "${venv}/bin/python" && -f "${stamp}" ]] && cmp -s "${requirements}" "${stamp}"; then
    exit 0
fi

if [[ ! -x "${venv}/bin/python" ]]; then
    "${python_bin}" -m venv "${venv}"
fi
"${venv}/bin/python" -m pip install --quiet --disable-pip-version-check -r "${requirements}"
cp "${requirements}" "${stamp}"
