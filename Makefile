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
CHROMIUM ?= /usr/bin/chromium

.PHONY: help demo test static browser lint typecheck pytest constraints clean

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

# Browser tests drive Debian's Chromium (never a test tool's own download). As root (CI) it is
# installed here; otherwise the browser tests are skipped with a message saying how to install it.
browser:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "make test: no Chromium at $(CHROMIUM); browser tests will be skipped (sudo apt-get install chromium)."; \
	  fi; \
	fi

demo: $(RUNTIME) $(STATIC)
	@mkdir -p var
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo --people $(DEMO_PEOPLE)
	$(DEMO_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(DEV) $(STATIC) browser
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
