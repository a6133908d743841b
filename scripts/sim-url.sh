# Sourced by the scripts that start dr-cloudsim in the background (scripts/demo.sh,
# scripts/dashboard-screenshot.sh): the emulator announces its URL on its first stdout line,
# which these scripts redirect to a file.
#   . scripts/sim-url.sh
#   url="$(sim_url OUT LOG PID)"   waits up to 10 s for the line in file OUT and prints the URL;
#                                  status 1 when process PID died (its log, file LOG, is printed
#                                  to stderr), 2 when the line never came
sim_url() {
  local out="$1" log="$2" pid="$3" line
  for _ in $(seq 1 100); do
    line="$(head -n 1 "$out" 2>/dev/null || true)"
    if [[ "$line" == "dr-cloudsim listening on "* ]]; then
      echo "${line#dr-cloudsim listening on }"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; return 1; }
    sleep 0.1
  done
  return 2
}
