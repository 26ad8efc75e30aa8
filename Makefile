# Two commands for newcomers: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint bench bench-instructions drills soak install install-test clean mail-sink

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# The web server and the task queue's worker side by side; Ctrl-C stops both.
run: install
	$(BIN)/flask --app forum db upgrade
	$(BIN)/flask --app forum seed-demo --if-empty
	@echo "Serving on http://$(HOST):$(PORT)/ with its worker (Ctrl-C stops both)"
	@export FORUM_BASE_URL=$${FORUM_BASE_URL:-http://$(HOST):$(PORT)}; \
	$(BIN)/flask --app forum worker & worker=$$!; \
	$(BIN)/flask --app forum run --host $(HOST) --port $(PORT) & server=$$!; \
	trap 'kill -TERM $$server 2>/dev/null' INT TERM; \
	wait $$server; kill -INT $$worker 2>/dev/null; wait $$worker

# A mail sink for trying email locally: prints every mail it receives.
# Then: FORUM_MAIL_URL=smtp://127.0.0.1:1025 make run
mail-sink: install-test
	$(BIN)/python -m aiosmtpd -n -l 127.0.0.1:1025 -c aiosmtpd.handlers.Debugging

lint: install-test
	$(BIN)/ruff check .

test: install-test lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install-test
	$(BIN)/python -m bench $(BENCH_ARGS)

# Fault drills on loopback (a few minutes; their own PostgreSQL cluster, never the
# machine's): DRILLS_ARGS="--only outage" runs one.
drills: install-test
	$(BIN)/python -m bench.drills $(DRILLS_ARGS)

# Memory: one gunicorn worker reads a thousand different post pages; its RSS before and
# after (under a minute on SQLite).
soak: install-test
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

# Instructions per request under valgrind's callgrind: a figure the machine's load does
# not move (a few minutes; needs valgrind).
bench-instructions: install-test
	$(BIN)/python -m bench.instructions $(INSTRUCTIONS_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
