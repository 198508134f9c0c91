#!/usr/bin/env bash
# One service of the native stack, as Procfile.dev names it: redis, mongodb, api, worker,
# frontend. `make dev-native` runs them all with honcho (which reads .env first).
#
# Data lives under .dev/ (git-ignored): Redis's AOF, MongoDB's or FerretDB's files, media,
# the model cache (unless MODEL_CACHE_DIR says otherwise).
# Redis and MongoDB listen on the ports of REDIS_URL and MONGODB_URL (6379 and 27017 by
# default), on 127.0.0.1 only; the API on API_PORT (8000), the worker's health server on
# POSE_HEALTH_PORT (8001), the frontend dev server on FRONTEND_PORT (5173).
set -euo pipefail
cd "$(dirname "$0")/.."

DATA=${POSEPIPE_DEV_DIR:-.dev}
VENV=${VENV:-.venv}
FERRETDB=${POSEPIPE_TOOLS_DIR:-$HOME/.cache/posepipe/bin}/ferretdb
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export MONGODB_URL=${MONGODB_URL:-mongodb://127.0.0.1:27017/posepipe}
export MEDIA_DIR=${MEDIA_DIR:-$DATA/media}
export MODEL_CACHE_DIR=${MODEL_CACHE_DIR:-$DATA/models}
export API_PORT=${API_PORT:-8000}
export FRONTEND_PORT=${FRONTEND_PORT:-5173}
export POSE_HEALTH_PORT=${POSE_HEALTH_PORT:-8001}
export PYTHONUNBUFFERED=1

# The port of a URL like redis://user:pw@host:6379/0 (default when it names none).
port_of() {
  local rest=${1#*://}
  rest=${rest##*@}
  rest=${rest%%/*}
  if [[ $rest == *:* ]]; then echo "${rest##*:}"; else echo "$2"; fi
}

case "${1:-}" in
  redis)
    mkdir -p "$DATA/redis"
    exec redis-server --port "$(port_of "$REDIS_URL" 6379)" --bind 127.0.0.1 \
      --dir "$DATA/redis" --appendonly yes --appendfsync everysec --save "" \
      --maxmemory-policy noeviction
    ;;
  mongodb)
    port=$(port_of "$MONGODB_URL" 27017)
    if command -v mongod >/dev/null; then
      mkdir -p "$DATA/mongodb"
      exec mongod --port "$port" --bind_ip 127.0.0.1 --dbpath "$DATA/mongodb" --quiet
    elif [ -x "$FERRETDB" ]; then
      mkdir -p "$DATA/ferretdb"
      exec "$FERRETDB" --handler=sqlite --sqlite-url="file:$DATA/ferretdb/" \
        --state-dir="$DATA/ferretdb" --listen-addr="127.0.0.1:$port" --debug-addr=- \
        --telemetry=disable --log-level=warn
    else
      echo "dev-native: no mongod on PATH and no $FERRETDB: run make test-deps" >&2
      exit 1
    fi
    ;;
  api)
    exec "$VENV/bin/posepipe" api --port "$API_PORT" --reload
    ;;
  worker)
    exec "$VENV/bin/posepipe" worker --health-port "$POSE_HEALTH_PORT" --reload
    ;;
  frontend)
    exec npm --prefix frontend run dev
    ;;
  *)
    echo "usage: $0 redis|mongodb|api|worker|frontend" >&2
    exit 2
    ;;
esac
