#!/usr/bin/env bash
# Installs the real servers and tools the tests start: Debian's redis-server and chromium,
# and FerretDB v1 (a MongoDB wire-protocol server) when no mongod is on PATH.
# Idempotent: what is already there is kept.
set -euo pipefail

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
else
  "$(dirname "$0")/build-ferretdb.sh"
fi
