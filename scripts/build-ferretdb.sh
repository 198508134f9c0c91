#!/usr/bin/env bash
# Builds FerretDB v1 (a MongoDB wire-protocol server, SQLite backend) into the tools folder,
# once: the tests' MongoDB when no mongod is on PATH, and the mongo:7.0 stand-in image of
# `make test-compose` when no container registry answers. Prints the binary's path.
set -euo pipefail

FERRETDB_VERSION=v1.24.0
BIN_DIR="${POSEPIPE_TOOLS_DIR:-$HOME/.cache/posepipe/bin}"
mkdir -p "$BIN_DIR"

if [ -x "$BIN_DIR/ferretdb" ]; then
  # Not piped into head (SIGPIPE under pipefail, see below): sed reads all of it.
  echo "build-ferretdb: found $BIN_DIR/ferretdb ($("$BIN_DIR/ferretdb" --version | sed -n 1p)), not rebuilt" >&2
else
  command -v go >/dev/null || { echo "build-ferretdb: Go is needed to build FerretDB" >&2; exit 1; }
  echo "build-ferretdb: building FerretDB $FERRETDB_VERSION (SQLite backend) into $BIN_DIR with $(go version | cut -d' ' -f3)" >&2
  started=$SECONDS
  # `go install ...@version` builds a binary that panics at start: the module lacks the
  # version.txt its build step generates. Build from the module source with that file added.
  src_dir=$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp -r "$src_dir" "$work/src"
  chmod -R u+w "$work/src"
  echo "$FERRETDB_VERSION" > "$work/src/build/version/version.txt"
  (cd "$work/src" && go build -o "$work/ferretdb" ./cmd/ferretdb)
  # Not piped into head: head closing the pipe early kills ferretdb with SIGPIPE, and
  # pipefail then fails the whole install on exactly the first run.
  "$work/ferretdb" --version >"$work/version.txt"
  # Moved into place last: an interrupted build leaves no half-written binary behind.
  mv "$work/ferretdb" "$BIN_DIR/ferretdb"
  echo "build-ferretdb: built $BIN_DIR/ferretdb in $((SECONDS - started)) s ($(sed -n 1p "$work/version.txt"))" >&2
fi
echo "$BIN_DIR/ferretdb"
