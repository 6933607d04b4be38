# Wangge 网格防控 — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
export WANGGE_DATABASE_URL ?= sqlite+aiosqlite:///data/wangge.db

.PHONY: help install system-deps pg run migrate seed test lint typecheck unit slow e2e soak bench bench-city bench-node clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	@touch $(STAMP)

# esbuild (package.json), which bundles the field app's modules (server/web/bundle.py)
NODE_STAMP := node_modules/.package-lock.json

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "installing nodejs and npm"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

install: $(STAMP) $(NODE_STAMP) ## create the virtualenv, install the server with its dev tools and esbuild, build the app's bundle
	@$(PY) -c "from server.web.bundle import bundle; print('field app bundle:', bundle().folder.name)"

system-deps: ## Debian packages the browser tests need (chromium, CJK fonts), once
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto.*cjk"; then \
	  echo "installing chromium and fonts-noto-cjk"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

pg: ## make sure the local PostgreSQL answers on 127.0.0.1:5432
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; echo "PostgreSQL did not start"; exit 1

migrate: install ## apply the database migrations (WANGGE_DATABASE_URL)
	$(PY) -m server migrate

seed: migrate ## build the demo county if the database has no users yet
	$(PY) -m server seed-demo --if-empty

run: seed ## set up and start the app on http://127.0.0.1:8000 with demo data (SQLite)
	@$(PY) -m server demo-accounts
	WANGGE_SECURE_COOKIES=$${WANGGE_SECURE_COOKIES:-0} $(PY) -m server run --host 127.0.0.1 --port 8000

lint: install ## ruff lint and format check
	$(VENV)/bin/ruff check server wangge_protocol wangge_client tests bench migrations devkit
	$(VENV)/bin/ruff format --check server wangge_protocol wangge_client tests bench migrations devkit

typecheck: install ## mypy --strict on server/, wangge_protocol/, wangge_client/
	$(VENV)/bin/mypy

unit: install pg ## fast feedback: unit and integration suites on both databases, minus the slow ones
	$(VENV)/bin/pytest tests -m "not e2e and not soak and not slow" -q -p no:cacheprovider $(PYTEST_ARGS)

slow: install pg ## the slow suites: demo seed, sync properties, concurrency, schema fuzzing, crash and restart
	$(VENV)/bin/pytest tests -m "slow and not e2e and not soak" -q -p no:cacheprovider $(PYTEST_ARGS)

e2e: install system-deps ## the browser tests in headless Chromium
	$(VENV)/bin/pytest tests/e2e -m e2e -q -p no:cacheprovider $(PYTEST_ARGS)

test: install system-deps pg lint typecheck unit slow e2e ## everything CI runs: lint, types, all suites, both databases

soak: install pg ## long runs: sync properties, fuzzers, crash and restart (many examples, many kills)
	WANGGE_SOAK=1 $(VENV)/bin/pytest tests -m "soak or slow" -q -p no:cacheprovider $(PYTEST_ARGS)

POUCH_PACKAGES := pouchdb-server@4.2.0 pouchdb@9.0.0 pouchdb-adapter-memory@9.0.0

bench-node: ## PouchDB and pouchdb-server from the npm registry into bench/.node (for make bench)
	@if [ ! -d bench/.node/node_modules/pouchdb-server ] || [ ! -d bench/.node/node_modules/pouchdb-adapter-memory ]; then \
	  mkdir -p bench/.node && npm install --no-audit --no-fund --prefix bench/.node $(POUCH_PACKAGES); \
	fi

bench: install pg system-deps bench-node ## every benchmark side by side (sync, PouchDB, app, load, pages); JSON in bench/results/
	$(PY) -m bench

bench-city: install pg ## supervisor pages and first sync at 13k, 100k and 1M persons (PostgreSQL; long)
	$(PY) -m bench.city --sizes 13k,100k,1m
	$(PY) -m bench.plot $$(ls bench/results/city-*.json | grep -v latest)

clean: ## remove the virtualenv, node_modules, the built bundles and local data
	rm -rf $(VENV) node_modules web/static/build data/*.db data/*.db-*
