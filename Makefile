# The two commands: `make demo` and `make test`. Everything else here serves them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed
STATIC := build/static/css/singleview.css
DEMO_ENV := DJANGO_SETTINGS_MODULE=singleview.settings.local
DEMO_PEOPLE ?= 2000

.PHONY: help demo test static system-packages lint typecheck pytest constraints clean

help:
	@echo "make demo   run the demo portal at http://127.0.0.1:8000 (SQLite, no services needed)"
	@echo "make test   run the whole suite, ruff and mypy on PostgreSQL and Redis"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"

$(RUNTIME): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	@touch $@

$(DEV): $(RUNTIME)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

$(STATIC): node_modules/.package-lock.json frontend/build.mjs frontend/singleview.scss
	npm run --silent build

static: $(STATIC)

# System packages the tests need, from Debian: Chromium for the browser tests (never a test
# tool's own download) and Pango/HarfBuzz/fonts for WeasyPrint's PDF exports. As root (CI) they
# are installed here; otherwise the tests that need them say how to install them.
SYSTEM_PACKAGES := chromium libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation

system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian packages for the tests: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "make test: missing Debian packages ($$missing); tests needing them are skipped (sudo apt-get install $$missing)."; \
	  fi; \
	fi

demo: $(RUNTIME) $(STATIC)
	@mkdir -p var
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo --people $(DEMO_PEOPLE)
	$(DEMO_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(DEV) $(STATIC) system-packages
	$(BIN)/python -m singleview.connectivity
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/python -m pytest

lint: $(DEV)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-pin every transitive dependency after changing pyproject.toml.
constraints: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m pip freeze --exclude-editable | sort > constraints.txt

clean:
	rm -rf $(VENV) node_modules build var/staticfiles
