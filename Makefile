# The commands people type. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
POSEPIPE := $(VENV)/bin/posepipe
EXTRAS ?= pose,api,dev
STAMP := $(VENV)/.installed-$(shell echo $(EXTRAS) | tr , -)

.PHONY: help install demo test test-deps test-python frontend-deps lint format schema \
        dev-native bench bench-tracking gpu-check clean test-frontend openapi bench-reload lock \
        doctor test-compose compose-up compose-down fuzz screenshots

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[$(EXTRAS)]'
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) ## create .venv and install posepipe with its extras

demo: $(STAMP) ## run the main job on the bundled clip (examples/squats.mp4)
	$(POSEPIPE) process examples/squats.mp4 -o out/demo
	@echo "Results in $(CURDIR)/out/demo: poses.json and overlay.mp4"

test-deps: ## install the real servers the tests start (redis-server, FerretDB, chromium)
	scripts/install-test-deps.sh

frontend-deps: ## install the frontend's npm packages (when the frontend exists)
	@if [ -f frontend/package.json ]; then cd frontend && npm ci --no-audit --no-fund; fi

lint: $(STAMP) ## ruff, mypy and the import-boundary contracts
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test-python: $(STAMP)
	$(PY) -m pytest

# The Compose stack for real: a Docker engine (the machine's >= 25, or a private one from
# Debian's packages), the base images (pulled, or stand-ins where no registry answers), the
# three images built from docker/, `up -d --wait`, then tests/compose against the containers.
test-compose: $(STAMP) test-deps ## build and start the Compose stack (CPU variant) and test it for real
	@start=$$(date +%s); status=0; $(PY) -m pytest tests/compose || status=$$?; \
	echo "test-compose took $$(( $$(date +%s) - start )) s"; exit $$status

compose-up: $(STAMP) ## build and start the Compose stack on Docker (or a private engine); leave it running
	scripts/compose-stack.sh up

compose-down: ## stop what compose-up started (VOLUMES=1 also deletes the data volumes)
	scripts/compose-stack.sh down

fuzz: $(STAMP) test-deps ## the API fuzzer alone (schemathesis on a live stack; part of make test)
	$(PY) -m pytest tests/integration/test_api_fuzz.py -q

screenshots: $(STAMP) test-deps frontend-deps ## refresh docs/screenshots/*.png from the e2e tests that check those pages
	$(PY) -m pytest tests/e2e -m screenshots --screenshots-dir docs/screenshots -q

test-frontend: frontend-deps ## the frontend's type check and unit tests (vitest)
	npm --prefix frontend run typecheck
	npm --prefix frontend test

openapi: $(STAMP) ## refresh frontend/openapi.json from the API and regenerate its TypeScript types
	$(PY) frontend/scripts/dump_openapi.py
	npm --prefix frontend run gen:api

test: $(STAMP) test-deps frontend-deps lint test-frontend test-python test-compose ## install what the tests need and run them all

format: $(STAMP) ## apply ruff's formatting and fixes
	$(VENV)/bin/ruff check --fix src tests bench
	$(VENV)/bin/ruff format src tests bench

schema: $(STAMP) ## regenerate schema/poses.schema.json from the pydantic models
	$(PY) -c 'from pathlib import Path; from posepipe.schema import write_json_schema; write_json_schema(Path("schema/poses.schema.json"))'

# The frontend dev server joins the native stack once the frontend exists.
DEV_SERVICES := redis mongodb api worker $(if $(wildcard frontend/package.json),frontend)

dev-native: $(STAMP) test-deps ## the stack as local processes (honcho, Procfile.dev); Ctrl-C stops all
	@if [ -f frontend/package.json ] && [ ! -d frontend/node_modules ]; then $(MAKE) frontend-deps; fi
	$(VENV)/bin/honcho -f Procfile.dev start $(DEV_SERVICES)

bench: $(STAMP) ## run the benchmarks and print their figures (see bench/RESULTS.md)
	$(PY) bench/pipeline_bench.py
	$(PY) bench/multiperson_bench.py
	$(PY) bench/pose_processes_bench.py
	$(PY) bench/api_bench.py

bench-tracking: $(STAMP) ## who is found and whose id is whose on the kids clip (three trackers)
	$(PY) -m pip install -q 'supervision==0.30.0'  # ByteTrack, for the comparison only
	$(PY) bench/tracking_bench.py

bench-reload: $(STAMP) ## seconds from saving a .py file to the change being live (API, worker)
	$(PY) bench/hot_reload_bench.py

lock: ## recompile requirements/*.txt, the lock files the Docker images install from
	VENV=$(VENV) requirements/compile.sh

doctor: $(STAMP) ## check this machine for the Docker Compose stack (Docker, GPU, WSL, .env)
	$(POSEPIPE) doctor

# gpu-check runs where torch and the hmr2 extra are: a GPU host's venv, or the pose-service
# image with the repository mounted (GPU_PY=python there).
GPU_PY ?= $(if $(wildcard $(PY)),$(PY),python3)
GPU_CHECK_VIDEO ?= data/videos/multi_person_kids_jumping_on_bed.mp4
gpu-check: ## GPU host only: upstream imports first, then CUDA, NVML, memory cap, throughput, hmr2 end to end, gpu tests
	@mkdir -p out
	$(GPU_PY) scripts/gpu_check.py --json out/gpu-check.json --video $(GPU_CHECK_VIDEO)
	$(GPU_PY) -m pytest -m gpu tests/gpu -q

clean: ## remove build outputs and results (keeps .venv)
	rm -rf out build dist .pytest_cache .mypy_cache .ruff_cache
