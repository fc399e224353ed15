# Quick start:  make demo  (http://127.0.0.1:8000)   make test
# Both create .venv with a Python 3.12+ they find, and start a private
# PostgreSQL unless DATABASE_URL is set.

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
DEMO_ENV := DJANGO_DEBUG=1 RENKEI_REQUIRE_STAFF_MFA=0

.PHONY: demo test lint format clean bench bench-ci load scale-test

$(STAMP): pyproject.toml
	@sh .ci/find-python.sh > /dev/null
	@test -x $(PY) || "$$(sh .ci/find-python.sh)" -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

demo: $(STAMP)
	$(PY) -m config.localdb --data var/postgres -- sh -c '\
		export $(DEMO_ENV); \
		$(PY) manage.py migrate --no-input && \
		$(PY) manage.py createcachetable && \
		$(PY) manage.py seed_demo && \
		{ $(PY) manage.py db_worker & worker=$$!; \
		  trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
		  $(PY) manage.py runserver 127.0.0.1:8000; }'

# One pytest worker per core, each with its own test database; a file's
# tests stay together, so its servers and fixtures start once.
# One worker: make test PYTEST_WORKERS=0
PYTEST_WORKERS ?= auto
test: $(STAMP)
	$(PY) -m config.localdb --temporary -- $(PY) -m pytest \
		--numprocesses=$(PYTEST_WORKERS) --dist=loadfile --durations=15 $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

clean:
	rm -rf $(VENV) var staticfiles

# Benchmarks (docs/operations.md, "Benchmarks"): seed 1,000,000 posts and
# 50,000 dispatches into a private PostgreSQL in var/bench-postgres (never
# DATABASE_URL: it is emptied first), time the key pages in-process and
# under gunicorn with wrk, and write docs/benchmarks.md.
# Quick run: make bench BENCH_ARGS="--posts 20000 --threads 2000 --users 500"
BENCH_ARGS ?=
BENCH_MEASURE_ARGS ?= --throughput 10
bench: $(STAMP)
	DATABASE_URL= $(PY) -m config.localdb --data var/bench-postgres -- sh -c '\
		export DJANGO_DEBUG=1; \
		$(PY) manage.py migrate --no-input -v0 && \
		$(PY) manage.py createcachetable && \
		$(PY) -m bench.seed --reset --log var/bench-seed.json $(BENCH_ARGS) && \
		$(PY) -m bench.measure --seed-log var/bench-seed.json --max-queries 12 \
			--output docs/benchmarks.md $(BENCH_MEASURE_ARGS)'

# The query-count check CI runs: the same pages on a small and a ten times
# larger board must not make more queries, and never more than 12.
bench-ci: $(STAMP)
	DATABASE_URL= $(PY) -m config.localdb --temporary -- sh -c '\
		export DJANGO_DEBUG=1; counts=$$(mktemp); \
		$(PY) manage.py migrate --no-input -v0 && \
		$(PY) manage.py createcachetable && \
		$(PY) -m bench.seed --reset --posts 2000 --threads 200 --users 100 \
			--pool 1000 --disasters 10 --dispatches 200 && \
		$(PY) -m bench.measure --runs 1 --warmup 1 --max-queries 12 --counts $$counts && \
		$(PY) -m bench.seed --reset --posts 20000 --threads 2000 --users 500 \
			--pool 1000 --disasters 20 --dispatches 2000 && \
		$(PY) -m bench.measure --runs 1 --warmup 1 --max-queries 12 --compare $$counts'

# Load test (docs/operations.md, "Load test"): 100 members browsing, searching
# and posting for 5 minutes against gunicorn with production settings, in a
# temporary PostgreSQL (never DATABASE_URL: the seed empties the boards);
# fails on any error or lost post and writes docs/load-test.md.
# Quick run: make load LOAD_ARGS="--users 20 --duration 30s --output /tmp/load.md"
LOAD_ARGS ?=
load: $(STAMP)
	DATABASE_URL= DJANGO_DEBUG=1 $(PY) -m config.localdb --temporary -- \
		$(PY) -m bench.load --output docs/load-test.md $(LOAD_ARGS)

# Several nodes under faults (docs/scaling.md): 2 gunicorn nodes behind
# HAProxy, their own Redis, the task worker and media on a loopback S3
# server; 20 members for 60 s while a node is killed and started again and
# Redis restarts; fails if any acknowledged post or file is lost. Figures
# in var/scale-test.{json,md}. In a temporary PostgreSQL (never
# DATABASE_URL: the seed empties the boards).
# Long form (100 members, 5 minutes, a streaming replica stopped, the
# object store refusing for 10 s): make scale-test SCALE_ARGS=--long
SCALE_ARGS ?=
scale-test: $(STAMP)
	DATABASE_URL= DJANGO_DEBUG=1 $(PY) -m config.localdb --temporary -- \
		$(PY) -m bench.scale --object-store --output var/scale-test $(SCALE_ARGS)
