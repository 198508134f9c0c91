#!/usr/bin/env bash
# Installs the real servers and tools the tests start: Debian's redis-server and chromium,
# and FerretDB v1 (a MongoDB wire-protocol server) when no mongod is on PATH.
# Idempotent: what is already there is kept, and every line says what was done or found.
# POSEPIPE_TOOLS_DIR: where FerretDB is built (default ~/.cache/posepipe/bin; build-ferretdb.sh).
set -euo pipefail

say() { echo "install-test-deps: $*"; }

need_apt=()
if command -v redis-server >/dev/null; then
  say "redis-server: found $(command -v redis-server)"
else
  need_apt+=(redis-server)
fi
if [ -x /usr/bin/chromium ]; then
  say "chromium: found /usr/bin/chromium"
else
  need_apt+=(chromium)
fi
# Screenshots and canvas text need a real font; headless chromium has none of its own.
if fc-list 2>/dev/null | grep -qi dejavu; then
  say "fonts-dejavu-core: found"
else
  need_apt+=(fonts-dejavu-core)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-deps: need ${need_apt[*]}; run as root or: sudo apt-get install ${need_apt[*]}" >&2
    exit 1
  fi
  say "apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  say "apt-get: installed ${need_apt[*]}"
else
  say "apt-get: not run, nothing missing"
fi

if command -v mongod >/dev/null; then
  say "MongoDB: found $(command -v mongod); FerretDB not needed"
else
  # It says on stderr what it found or built; stdout is the binary's path.
  ferretdb=$("$(dirname "$0")/build-ferretdb.sh")
  say "FerretDB: ready at $ferretdb"
fi
