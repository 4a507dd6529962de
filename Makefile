# The two commands of the README: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TEST_ENV := DJANGO_SETTINGS_MODULE=network_admin.test_settings
# `make run` is for a developer's machine: debug pages, console email, a throwaway secret key.
RUN_ENV := DEBUG=true

.PHONY: install install-dev run test lint lock check-python

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null || { \
	  echo "network_admin needs Python 3.12 or newer, but '$(PYTHON)' is: $$($(PYTHON) --version 2>&1)."; \
	  echo "Install Python 3.12+ (with pyenv: 'pyenv install 3.13'; this repo's .python-version then"; \
	  echo "selects it), or point make at one: 'make run PYTHON=/usr/bin/python3.13'."; \
	  exit 1; }

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-base: requirements/base.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements/base.txt
	@touch $@

$(VENV)/.installed-dev: requirements/dev.txt $(VENV)/.installed-base
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	@touch $@

install: check-python $(VENV)/.installed-base

install-dev: check-python $(VENV)/.installed-dev

run: install
	$(RUN_ENV) $(BIN)/python manage.py migrate --no-input
	$(RUN_ENV) $(BIN)/python manage.py first_run
	$(RUN_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

# Re-pin the lock files after editing requirements/*.in.
lock: install-dev
	$(BIN)/python -m pip install --quiet pip-tools
	cd requirements && ../$(BIN)/pip-compile --quiet --strip-extras --allow-unsafe \
	  --no-emit-index-url --no-emit-find-links base.in -o base.txt
	cd requirements && ../$(BIN)/pip-compile --quiet --strip-extras --allow-unsafe \
	  --no-emit-index-url --no-emit-find-links dev.in -o dev.txt

# PNGs of the main pages for the README (docs/screenshots/), taken in Debian's Chromium from a
# fixed demo network on a throwaway SQLite database.
.PHONY: screenshots
screenshots: install-dev
	tmp="$$(mktemp -d)" && trap 'rm -rf "$$tmp"' EXIT && \
	  DATABASE_URL="sqlite:///$$tmp/screenshots.sqlite3" $(RUN_ENV) \
	  $(BIN)/python manage.py screenshots

# A bounded load test against 127.0.0.1 (loadtest/run.sh; results in docs/operations.md). Not in CI.
.PHONY: loadtest
loadtest: install-dev
	loadtest/run.sh
