# CareCoord — the two commands a user needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test test-sqlite test-postgres lint format browser-deps bench audit soak clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

## make run: install, migrate, load demo data on SQLite if empty, serve on 127.0.0.1:8000
run: $(STAMP)
	$(BIN)/carecoord migrate --no-input
	$(BIN)/carecoord collectstatic --no-input --verbosity 0
	$(BIN)/carecoord demo --if-empty
	$(BIN)/carecoord serve --bind 127.0.0.1:8000 --with-worker

## Debian's Chromium drives the browser tests (never a Playwright browser download).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  apt-get update -qq && apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }

## make test: install, then the whole suite on SQLite and (when reachable, always under CI) PostgreSQL
test: $(STAMP) browser-deps lint
	$(BIN)/carecoord makemigrations --check --dry-run >/dev/null || { echo "Missing migrations: run carecoord makemigrations"; exit 1; }
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$CI" ] || pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  $(MAKE) --no-print-directory test-postgres; \
	else echo "PostgreSQL not reachable on 127.0.0.1:5432: PostgreSQL run skipped (CI always runs it)."; fi

test-sqlite: $(STAMP)
	@echo "== test suite on SQLite =="
	DATABASE_URL=sqlite:///var/test.sqlite3 $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@echo "== test suite on PostgreSQL =="
	DATABASE_URL=$${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/carecoord} $(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard bench)

format: $(STAMP)
	$(BIN)/ruff format src tests $(wildcard bench)

## make bench: generate the benchmark data if it is not there yet, then time the scenarios (bench/README.md).
## SCALE=small|medium|large (default small); DATABASE_URL picks the database (default: a SQLite file per scale
## under bench/.data/); BENCH_ARGS passes options to bench.run (e.g. BENCH_ARGS="--requests 200").
SCALE ?= small
bench: $(STAMP)
	$(BIN)/python -m bench.generate --scale $(SCALE)
	$(BIN)/python -m bench.run --scale $(SCALE) $(BENCH_ARGS)

## make audit: static scan (bandit, high severity; zero findings allowed) and known vulnerabilities in the pinned
## dependencies (pip-audit: needs the PyPI JSON API or OSV on the network, so it is not part of `make test`).
## Every raw SQL, mark_safe and csrf_exempt site is listed with its justification in docs/operations.md.
audit: $(STAMP)
	$(BIN)/bandit -lll -q -r src
	$(BIN)/pip-audit --strict --progress-spinner off -r constraints.txt --no-deps --disable-pip

## make soak: the slow fault and load tests (RELIABILITY.md T28-T33) against real servers, with their own
## throwaway PostgreSQL cluster (never the shared one); figures go to bench/.data/soak/. SOAK_ARGS passes
## pytest options; SOAK_MINUTES sets the steady-load length (default 1; the plan's figure is 10).
soak: $(STAMP)
	$(BIN)/pytest -p no:randomly bench/soak $(SOAK_ARGS)

clean:
	rm -rf $(VENV) var staticfiles
