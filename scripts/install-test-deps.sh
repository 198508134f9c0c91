#!/usr/bin/env bash
# Installs the real servers and tools the tests start: Debian's redis-server and chromium,
# and FerretDB v1 (a MongoDB wire-protocol server) when no mongod is on PATH.
# Idempotent: what is already there is kept.
set -euo pipefail

FERRETDB_VERSION=v1.24.0
BIN_DIR="${POSEPIPE_TOOLS_DIR:-$HOME/.cache/posepipe/bin}"
mkdir -p "$BIN_DIR"

need_apt=()
command -v redis-server >/dev/null || need_apt+=(redis-server)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
fc-list 2>/dev/null | grep -qi dejavu || need_apt+=(fonts-dejavu-core)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-deps: need ${need_apt[*]}; run as root or: sudo apt-get install ${need_apt[*]}" >&2
    exit 1
  fi
  echo "install-test-deps: apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if command -v mongod >/dev/null; then
  echo "install-test-deps: using $(command -v mongod)"
elif [ -x "$BIN_DIR/ferretdb" ]; then
  echo "install-test-deps: using $BIN_DIR/ferretdb"
else
  command -v go >/dev/null || { echo "install-test-deps: Go is needed to build FerretDB" >&2; exit 1; }
  echo "install-test-deps: building FerretDB $FERRETDB_VERSION (SQLite backend) with go"
  # `go install ...@version` builds a binary that panics at start: the module lacks the
  # version.txt its build step generates. Build from the module source with that file added.
  src_dir=$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp -r "$src_dir" "$work/src"
  chmod -R u+w "$work/src"
  echo "$FERRETDB_VERSION" > "$work/src/build/version/version.txt"
  (cd "$work/src" && go build -o "$BIN_DIR/ferretdb" ./cmd/ferretdb)
  # Not piped into head: head closing the pipe early kills ferretdb with SIGPIPE, and
  # pipefail then fails the whole install on exactly the first run.
  "$BIN_DIR/ferretdb" --version >"$work/version.txt"
  sed -n 1p "$work/version.txt"
fi
