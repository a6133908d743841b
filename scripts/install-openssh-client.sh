#!/usr/bin/env bash
# Installs Debian's openssh-client when `ssh` is missing: dr-cloudsim's OpenSSH
# interoperability test (sim/tests/openssh.rs) runs the system `ssh` through the emulator's
# jump host, as users' own scripts would. Idempotent: does nothing when `ssh` is there.
set -euo pipefail

if command -v ssh >/dev/null 2>&1; then
    exit 0
fi
sudo=""
if [[ "$(id -u)" -ne 0 ]]; then
    sudo="sudo"
fi
${sudo} apt-get update
DEBIAN_FRONTEND=noninteractive ${sudo} apt-get install -y --no-install-recommends openssh-client
command -v ssh >/dev/null
