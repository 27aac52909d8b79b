# Two commands for a newcomer: `make run` and `make test`. See README.md.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
KOL := $(VENV)/bin/kolaborasi
STAMP := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.installed-dev-stamp
PORT ?= 8000
PYTHON ?= python3

.PHONY: install install-dev run dev static test screenshots lint migrate demo worker bench bench-smoke clean

# Two locks: requirements.lock holds what the server needs (`make install`, production);
# requirements-dev.lock adds the test and lint tools (`make install-dev`, which `make test`
# and `make lint` use). Both come from pyproject.toml with the commands in their headers.
# The front-end files (htmx, Leaflet) come from npm at install time into node_modules/,
# where collectstatic picks them up; nothing runs Node.js once the site is installed.
$(STAMP): requirements.lock pyproject.toml package.json package-lock.json
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@test -x $(VENV)/bin/uv || $(VENV)/bin/pip install -q uv==0.13.8
	$(VENV)/bin/uv pip install -q --python $(PY) --compile-bytecode -r requirements.lock
	$(VENV)/bin/uv pip install -q --python $(PY) --no-deps -e .
	npm ci --omit=dev --no-audit --no-fund --loglevel=error
	@touch $(STAMP)

# The development tools, and axe-core (npm devDependency) for the browser tests.
# libhxl's formula parser writes its tables into its package on first import; that first
# import happens here, in one process, not in two test workers at once (one of them would
# read the other's half-written table).
$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(VENV)/bin/uv pip install -q --python $(PY) --compile-bytecode -r requirements-dev.lock
	$(PY) -c 'import hxl.formulas.parser'
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(DEV_STAMP)

# Translations: each .mo is rebuilt whenever its .po changes (not only on a fresh install).
PO_FILES := $(wildcard kolaborasi/*/locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)
%.mo: %.po
	msgfmt --check-format -o $@ $<

install: $(STAMP) $(MO_FILES)

install-dev: install $(DEV_STAMP)

migrate: install
	DEBUG=1 $(KOL) migrate --no-input -v0

demo: migrate
	DEBUG=1 $(KOL) demo

# The secret key: SECRET_KEY or SECRET_KEY_FILE when the environment sets one; otherwise
# one made once into var/secret_key (mode 0600), kept across runs (sessions and e-mailed
# links stay valid after a restart) and shared by `make run` and `make dev`.
ifeq ($(strip $(SECRET_KEY)$(SECRET_KEY_FILE)),)
RUN_KEY := SECRET_KEY_FILE=$(CURDIR)/var/secret_key
endif

var/secret_key:
	@mkdir -p var
	@umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@.tmp && mv $@.tmp $@
	@chmod 600 $@

# Production static files: hashed names and gzip/brotli copies, served by WhiteNoise.
# Collected again only when a static source changes (the first time takes a minute).
STATIC_SOURCES := $(shell find kolaborasi -path '*/static/*' -type f 2>/dev/null) package-lock.json
var/static/staticfiles.json: $(STAMP) $(STATIC_SOURCES) | var/secret_key
	@echo "kolaborasi: collecting and compressing static files (once)"
	$(RUN_KEY) DEBUG=0 $(KOL) collectstatic --no-input --clear -v0

static: var/static/staticfiles.json

# `make run`: the production server on http://127.0.0.1:$(PORT) — gunicorn with our
# configuration (kolaborasi/gunicorn_conf.py), DEBUG off, compressed static files, the
# evidence photos served by the app, and the background worker beside it. Plain HTTP on
# loopback, so no TLS redirect or secure-only cookies (behind a TLS proxy, see
# docs/operations.md). Any of these may be set in the environment instead. The worker
# runs in its own session so that Ctrl-C reaches it once, as the TERM of the trap.
RUN_ENV = $(RUN_KEY) DEBUG=0 \
	ALLOWED_HOSTS="$${ALLOWED_HOSTS:-127.0.0.1,localhost,[::1]}" \
	SITE_URL="$${SITE_URL:-http://127.0.0.1:$(PORT)}" \
	SECURE_SSL_REDIRECT="$${SECURE_SSL_REDIRECT:-0}" SECURE_COOKIES="$${SECURE_COOKIES:-0}" \
	SECURE_HSTS_SECONDS="$${SECURE_HSTS_SECONDS:-0}" SERVE_MEDIA="$${SERVE_MEDIA:-1}" \
	EMAIL_BACKEND="$${EMAIL_BACKEND:-$$(test -n "$$EMAIL_HOST" && echo django.core.mail.backends.smtp.EmailBackend || echo django.core.mail.backends.console.EmailBackend)}"

run: demo static | var/secret_key
	@echo "kolaborasi: http://127.0.0.1:$(PORT)  (Ctrl-C stops the server and the worker)"
	@$(RUN_ENV) $$(command -v setsid) $(KOL) worker & worker=$$!; \
	trap 'pkill -TERM -P $$worker 2>/dev/null || kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	$(RUN_ENV) $(VENV)/bin/gunicorn -c python:kolaborasi.gunicorn_conf kolaborasi.wsgi -b 127.0.0.1:$(PORT)

# `make dev`: Django's autoreloading development server with DEBUG=1, and the worker.
# The TERM goes to the worker proper, the autoreloader's child, which finishes its task
# and exits; its reloader then exits too (a TERM to the reloader would SIGKILL the child).
dev: demo | var/secret_key
	@echo "kolaborasi (development): http://127.0.0.1:$(PORT)  (Ctrl-C stops the server and the worker)"
	@DEBUG=1 $$(command -v setsid) $(KOL) worker & worker=$$!; \
	trap 'pkill -TERM -P $$worker 2>/dev/null || kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	DEBUG=1 $(KOL) runserver 127.0.0.1:$(PORT)

worker: install
	DEBUG=1 $(KOL) worker

# The suite runs in TEST_WORKERS processes (pytest-xdist), one per core by default, each
# with its own test database and its own copy of the demo (the set-up a worker pays once).
# A worker with nothing left to do takes queued tests from a busy one (worksteal), so a
# run of long browser tests does not end the suite on one worker while the other idles.
# Bytecode is written even where the environment says not to: each worker would
# otherwise rewrite the asserts of every test module again (seconds per process).
TEST_WORKERS ?= auto

test: install-dev
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal

# Every page the layout test visits as a picture in var/screenshots/layout/ (make test
# keeps only those of pages that do not fit), and each step of the phone walkthroughs in
# var/screenshots/walkthrough/: for a person to look at.
screenshots: install-dev
	SCREENSHOTS=1 env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal \
		tests/test_browser_layout.py tests/test_browser_phone_walkthrough.py

# lint-imports checks the layers contract in pyproject.toml: an import that runs from an
# app to one above it (core < audit < regions < accounts < campaigns < targets < pledges < funds <
# stats) fails here.
lint: install-dev
	$(VENV)/bin/ruff check .
	DEBUG=1 $(VENV)/bin/mypy kolaborasi tests
	$(VENV)/bin/lint-imports
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

# The HTTP load comes from wrk (Debian package `wrk`): a C load tool leaves the two
# cores to the server, where a Python one took half of them.
WRK_CHECK = @command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install -y wrk" >&2; exit 1; }

bench: install-dev
	$(WRK_CHECK)
	$(PY) -m bench.run

bench-smoke: install-dev
	$(WRK_CHECK)
	$(PY) -m bench.run --smoke

clean:
	rm -rf $(VENV) node_modules var
