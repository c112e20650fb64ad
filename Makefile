# Dinghuo: two commands after cloning.
#
#   make run    the platform on the embedded defaults (SQLite under instance/, inline jobs)
#   make test   ruff, the suite on SQLite, then the suite on PostgreSQL + Redis with RLS on
#
# Everything installs into .venv; nothing else on the machine is touched except
# Debian's chromium (browser tests) and, for `make test`, PostgreSQL roles and a
# throwaway database named below.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

# PostgreSQL for the second run of the suite. The superuser connection creates
# the roles and a fresh database; the suite then connects as PG_APP_ROLE
# (NOSUPERUSER NOBYPASSRLS, owns nothing) and migrates as PG_OWNER_ROLE.
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
PG_SUPERUSER ?= postgres
PG_OWNER_ROLE ?= dinghuo_owner
PG_APP_ROLE ?= dinghuo_app
PG_TEST_DB ?= dinghuo_make_test
REDIS_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=

PSQL := psql -h $(PG_HOST) -p $(PG_PORT) -U $(PG_SUPERUSER) -d postgres -v ON_ERROR_STOP=1 -q
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PG_URL_APP := postgresql+psycopg://$(PG_APP_ROLE)@$(PG_HOST):$(PG_PORT)/$(PG_TEST_DB)
PG_URL_OWNER := postgresql+psycopg://$(PG_OWNER_ROLE)@$(PG_HOST):$(PG_PORT)/$(PG_TEST_DB)

.PHONY: help run test lint test-sqlite test-postgres services postgres-db browser demo clean

help:
	@echo "make run     start Dinghuo with demo data on http://localhost:5000 (SQLite, inline jobs)"
	@echo "make test    lint, then the whole suite on SQLite and on PostgreSQL + Redis (RLS on)"

# --- environments -----------------------------------------------------------

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Stamps: reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

# The dev install adds the example plugin package, as a third party's plugin is
# installed: the suite proves it is found through its entry point.
EXAMPLE_PLUGIN := examples/plugins/dinghuo-carrier-example

$(VENV)/.installed-dev: pyproject.toml $(EXAMPLE_PLUGIN)/pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]' -e $(EXAMPLE_PLUGIN)
	touch $@ $(VENV)/.installed

# --- make run ---------------------------------------------------------------

run: $(VENV)/.installed
	$(BIN)/dinghuo db upgrade
	$(BIN)/dinghuo demo
	@echo
	@echo "Starting the platform (Ctrl-C stops it)..."
	exec $(BIN)/dinghuo serve

demo: $(VENV)/.installed
	$(BIN)/dinghuo db upgrade
	$(BIN)/dinghuo demo

# --- make test --------------------------------------------------------------

# The two passes share nothing (their own databases, Redis db, temp dirs), so
# they run side by side, each into its own log, printed when both are done;
# both always run, so one run reports everything.
test: lint browser services
	@logs=$$(mktemp -d); sqlite=0; postgres=0; \
	$(MAKE) --no-print-directory test-sqlite > $$logs/sqlite.log 2>&1 & sqlite_pid=$$!; \
	$(MAKE) --no-print-directory test-postgres > $$logs/postgres.log 2>&1 & postgres_pid=$$!; \
	wait $$sqlite_pid || sqlite=$$?; wait $$postgres_pid || postgres=$$?; \
	cat $$logs/sqlite.log $$logs/postgres.log; rm -rf $$logs; \
	echo "make test: SQLite pass $$([ $$sqlite = 0 ] && echo passed || echo FAILED)," \
		"PostgreSQL pass $$([ $$postgres = 0 ] && echo passed || echo FAILED)"; \
	[ $$sqlite = 0 ] && [ $$postgres = 0 ]

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

# Browser tests drive Debian's chromium (Playwright's own browser download
# cannot work where only package registries are reachable).
browser:
	@if [ ! -x /usr/bin/chromium ] || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then \
		echo "installing Debian's chromium and CJK fonts for the browser tests"; \
		$(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk; \
	fi

# pytest exits 5 when it collected nothing: a suite that ran no test has
# failed, so that exit code is named and kept.
PYTEST := $(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS) || { rc=$$?; \
	[ $$rc -ne 5 ] || echo "pytest collected no tests: that is a failure" >&2; exit $$rc; }

# The embedded mode: SQLite and inline jobs, no services. DINGHUO_TEST_EMBEDDED
# tells the tests so: Redis tests skip here (with their reason in the summary)
# and run in the services pass below; anywhere else under CI=true a missing
# service fails the test.
test-sqlite: $(VENV)/.installed-dev browser
	@echo "=== suite on SQLite, jobs inline ==="
	env -u DINGHUO_TEST_DATABASE_URL -u DINGHUO_TEST_MIGRATION_DATABASE_URL \
		-u DINGHUO_TEST_APP_DB_ROLE -u DINGHUO_TEST_REDIS_URL DINGHUO_TEST_EMBEDDED=1 $(PYTEST)
	@echo "=== the example plugin's own tests (dinghuo.testing, SQLite) ==="
	$(BIN)/pytest -q -p no:cacheprovider $(EXAMPLE_PLUGIN)

test-postgres: $(VENV)/.installed-dev browser services postgres-db
	@echo "=== suite on PostgreSQL + Redis, Row-Level Security on ==="
	DINGHUO_TEST_DATABASE_URL=$(PG_URL_APP) \
	DINGHUO_TEST_MIGRATION_DATABASE_URL=$(PG_URL_OWNER) \
	DINGHUO_TEST_APP_DB_ROLE=$(PG_APP_ROLE) \
	DINGHUO_TEST_REDIS_URL=$(REDIS_URL) \
		$(PYTEST)

# Start PostgreSQL and Redis when they are down (as on a fresh CI machine
# whose services were stopped); needs root or sudo only then.
services:
	@if ! pg_isready -q -h $(PG_HOST) -p $(PG_PORT); then \
		echo "starting PostgreSQL"; \
		$(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | sort -V | tail -1) main start; \
		for _ in $$(seq 30); do pg_isready -q -h $(PG_HOST) -p $(PG_PORT) && break; sleep 1; done; \
	fi
	@if ! redis-cli -u $(REDIS_URL) ping >/dev/null 2>&1; then \
		echo "starting Redis"; \
		redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no; \
		for _ in $$(seq 30); do redis-cli -u $(REDIS_URL) ping >/dev/null 2>&1 && break; sleep 1; done; \
	fi

# The owner role owns the schema (migrations run as it); the app role owns
# nothing and cannot bypass RLS, exactly as in production.
postgres-db: services
	$(PSQL) -c "DO \$$\$$ BEGIN \
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$(PG_OWNER_ROLE)') THEN \
			CREATE ROLE $(PG_OWNER_ROLE) LOGIN NOSUPERUSER NOBYPASSRLS; END IF; \
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$(PG_APP_ROLE)') THEN \
			CREATE ROLE $(PG_APP_ROLE) LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE; END IF; \
	END \$$\$$;"
	$(PSQL) -c "ALTER ROLE $(PG_APP_ROLE) NOSUPERUSER NOBYPASSRLS"
	$(PSQL) -c "DROP DATABASE IF EXISTS $(PG_TEST_DB) WITH (FORCE)"
	$(PSQL) -c "CREATE DATABASE $(PG_TEST_DB) OWNER $(PG_OWNER_ROLE)"
	# A throwaway database: commits need not wait for the disk (the suite commits a lot).
	$(PSQL) -c "ALTER DATABASE $(PG_TEST_DB) SET synchronous_commit = off"

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis .schemathesis
