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

engine_env=$(scripts/docker-engine.sh ensure)
# shellcheck disable=SC1090
source "$engine_env"

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

published() {  # published SERVICE PORT: host:port as Compose published it
  docker compose port "$1" "$2" 2>/dev/null || echo "(not published)"
}

case ${1:-} in
  up)
    scripts/base-images.sh | while read -r image how; do
      [ "$how" = standin ] && say "$image: a local stand-in built from Debian's packages (no registry answers)"
    done
    defaults
    docker compose up -d --build --wait --wait-timeout 600
    docker compose ps
    api_port=$(docker compose config --format json | python3 -c \
      'import json,sys; print(json.load(sys.stdin)["services"]["backend-api"]["environment"]["API_PORT"])')
    ui_port=$(docker compose config --format json | python3 -c \
      'import json,sys; print(json.load(sys.stdin)["services"]["frontend"]["environment"]["FRONTEND_PORT"])')
    pose_port=$(docker compose config --format json | python3 -c \
      'import json,sys; print(json.load(sys.stdin)["services"]["pose-service"]["environment"]["POSE_HEALTH_PORT"])')
    cat <<EOF

The stack is up ($POSEPIPE_ENGINE engine).
  UI            http://$(published frontend "$ui_port")
  API           http://$(published backend-api "$api_port")/api/docs
  pose-service  http://$(published pose-service "$pose_port")/health
To run docker and docker compose against this engine in your shell:
  source $engine_env
  docker compose ps; docker compose logs -f
Stop it with: make compose-down   (VOLUMES=1 also deletes jobs, media and logs)
EOF
    ;;
  down)
    defaults
    docker compose down --remove-orphans ${VOLUMES:+-v}
    [ -n "${VOLUMES:-}" ] || say "data volumes kept (make compose-down VOLUMES=1 deletes them)"
    if [ "$POSEPIPE_ENGINE" = private ] && [ -z "$(docker ps -q)" ]; then
      scripts/docker-engine.sh stop
    fi
    ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
