# Two commands for a newcomer: `make run` and `make test`. See README.md.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
KOL := $(VENV)/bin/kolaborasi
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000
PYTHON ?= python3

.PHONY: install run test lint migrate demo worker bench bench-smoke clean

$(STAMP): requirements.lock pyproject.toml package.json package-lock.json
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@test -x $(VENV)/bin/uv || $(VENV)/bin/pip install -q uv==0.13.8
	$(VENV)/bin/uv pip install -q --python $(PY) --compile-bytecode -r requirements.lock
	$(VENV)/bin/uv pip install -q --python $(PY) --no-deps -e .
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(STAMP)

# Translations: each .mo is rebuilt whenever its .po changes (not only on a fresh install).
PO_FILES := $(wildcard kolaborasi/*/locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)
%.mo: %.po
	msgfmt --check-format -o $@ $<

install: $(STAMP) $(MO_FILES)

migrate: install
	DEBUG=1 $(KOL) migrate --no-input -v0

demo: migrate
	DEBUG=1 $(KOL) demo

# Serve the demo on http://127.0.0.1:$(PORT) with the background worker beside it. The
# worker runs in its own session so that Ctrl-C reaches it once, as the TERM of the trap:
# a second signal while it shuts down (Ctrl-C and then the trap) crashed it on exit. The
# TERM goes to the worker proper, the autoreloader's child, which finishes its task and
# exits; its reloader then exits too (a TERM to the reloader would SIGKILL the child).
run: demo
	@echo "kolaborasi: http://127.0.0.1:$(PORT)  (Ctrl-C stops the server and the worker)"
	@DEBUG=1 $$(command -v setsid) $(KOL) worker & worker=$$!; \
	trap 'pkill -TERM -P $$worker 2>/dev/null || kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	DEBUG=1 $(KOL) runserver 127.0.0.1:$(PORT)

worker: install
	DEBUG=1 $(KOL) worker

# The suite runs in TEST_WORKERS processes (pytest-xdist), one per core by default, each
# with its own test database and its own copy of the demo (the set-up a worker pays once).
TEST_WORKERS ?= auto

test: install
	$(PY) -m pytest -n $(TEST_WORKERS)

# lint-imports checks the layers contract in pyproject.toml: an import that runs from an
# app to one above it (core < audit < regions < accounts < campaigns < targets < pledges < funds <
# stats) fails here.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy kolaborasi tests
	$(VENV)/bin/lint-imports
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

# The HTTP load comes from wrk (Debian package `wrk`): a C load tool leaves the two
# cores to the server, where a Python one took half of them.
WRK_CHECK = @command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install -y wrk" >&2; exit 1; }

bench: install
	$(WRK_CHECK)
	$(PY) -m bench.run

bench-smoke: install
	$(WRK_CHECK)
	$(PY) -m bench.run --smoke

clean:
	rm -rf $(VENV) node_modules var
