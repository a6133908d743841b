# Sourced by the scripts that build Go code (scripts/install-go-cli.sh, scripts/bench.sh): the Go
# module and build caches live in the project's .tools/go (gitignored), so a second build reuses
# them and nothing lands in the user's own Go directories.
#   . scripts/go-env.sh    (needs $root: the project directory)
command -v go >/dev/null || { echo "no 'go' on PATH (Go 1.26 is needed)" >&2; exit 1; }
export GOMODCACHE="$root/.tools/go/mod"
export GOCACHE="$root/.tools/go/cache"
export GOPATH="$root/.tools/go/path"
export GOFLAGS=-mod=mod
export CGO_ENABLED=0
mkdir -p "$GOMODCACHE" "$GOCACHE" "$GOPATH"
