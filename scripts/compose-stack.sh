#!/usr/bin/env bash
# `make compose-up` / `make compose-down`: the Compose stack on this machine's Docker, or on a
# private engine installed from Debian's packages when it has none (scripts/docker-engine.sh),
# with the base images pulled or, where no registry answers, built as stand-ins
# (scripts/base-images.sh). For a person debugging the stack; `make test-compose` tests it.
#
#   scripts/compose-stack.sh up     # build, start, wait for healthy; print how to reach it
#   scripts/compose-stack.sh down   # stop and remove the containers and network (VOLUMES=1:
#                                   # the data volumes too); stop the private engine if idle
#
# .env is read as usual. Without one, UID and GID come from `id`, and the CPU variant is
# chosen unless the engine has the NVIDIA runtime.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "compose-stack: $*" >&2; }

# The claim that keeps a private engine running between `up` and `down` (docker-engine.sh).
CLAIM=compose-up

defaults() {
  # Compose reads the process environment before .env: set only what .env leaves out.
  if ! grep -qs '^UID=[0-9]' .env; then export UID; fi
  if ! grep -qs '^GID=[0-9]' .env; then GID=$(id -g); export GID; fi
  if ! grep -qs '^COMPOSE_FILE=' .env && [ -z "${COMPOSE_FILE:-}" ]; then
    if docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q nvidia; then
      say "the engine has the NVIDIA runtime: the GPU variant (docker-compose.yml)"
    else
      say "no NVIDIA runtime on this engine: the CPU variant (docker-compose.cpu.yml)"
      export COMPOSE_FILE=docker-compose.yml:docker-compose.cpu.yml
    fi
  fi
}

build() {  # package downloads inside the builds fail now and then: try three times
  local n
  for n in 1 2 3; do
    docker compose build && return
    [ "$n" = 3 ] || { say "docker compose build failed (try $n of 3); trying again"; sleep 5; }
  done
  return 1
}

published() {  # published SERVICE PORT: host:port as Compose published it
  docker compose port "$1" "$2" 2>/dev/null || echo "(not published)"
}

up() {
  local engine_env
  engine_env=$(scripts/docker-engine.sh ensure "$CLAIM")
  # shellcheck disable=SC1090
  source "$engine_env"
  local images image how
  images=$(scripts/base-images.sh)  # a failure here stops the script (set -e)
  while read -r image how; do
    if [ "$how" = standin ]; then
      say "$image: a local stand-in built from Debian's packages (no registry answers)"
    fi
  done <<<"$images"
  defaults
  build
  docker compose up -d --wait --wait-timeout 600
  docker compose ps
  local ports
  ports=$(docker compose config --format json | python3 -c '
import json, sys
services = json.load(sys.stdin)["services"]
print(services["frontend"]["environment"]["FRONTEND_PORT"],
      services["backend-api"]["environment"]["API_PORT"],
      services["pose-service"]["environment"]["POSE_HEALTH_PORT"])')
  local ui_port api_port pose_port
  read -r ui_port api_port pose_port <<<"$ports"
  cat <<EOF

The stack is up ($POSEPIPE_ENGINE engine).
  UI            http://$(published frontend "$ui_port")
  API           http://$(published backend-api "$api_port")/api/docs
  pose-service  http://$(published pose-service "$pose_port")/health
To run docker and docker compose against this stack in your shell:
  source $engine_env
EOF
  # What defaults() chose without .env, so the user's `docker compose` sees the same stack.
  [ -z "${COMPOSE_FILE:-}" ] || grep -qs '^COMPOSE_FILE=' .env || echo "  export COMPOSE_FILE=$COMPOSE_FILE"
  grep -qs '^GID=[0-9]' .env || echo "  export UID GID=$GID"
  cat <<EOF
  docker compose ps; docker compose logs -f
Stop it with: make compose-down   (VOLUMES=1 also deletes jobs, media and logs)
EOF
}

down() {
  # Stopping must never install or start an engine: with none running there is nothing to do.
  if ! scripts/docker-engine.sh status >/dev/null; then
    say "no Docker engine is running: nothing to stop"
    scripts/docker-engine.sh release "$CLAIM"
    return
  fi
  local engine_env
  engine_env=$(scripts/docker-engine.sh ensure compose-down)
  # shellcheck disable=SC1090
  source "$engine_env"
  defaults
  if [ "${VOLUMES:-0}" = 1 ]; then
    docker compose down --remove-orphans -v
  else
    docker compose down --remove-orphans
    say "data volumes kept (make compose-down VOLUMES=1 deletes them)"
  fi
  # A private engine stops once nothing else claims it (a test run may still be using it).
  scripts/docker-engine.sh release compose-down
  scripts/docker-engine.sh release "$CLAIM"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
