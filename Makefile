# AIMS Register: developer and CI entry points (GNU make).
#   make run    install, start PostgreSQL + Redis, migrate, load demo data, run web + worker + beat
#   make test   install, services, lint, Django checks, pytest

VENV := .venv
PY := $(VENV)/bin/python
TEST_ENV := DJANGO_SETTINGS_MODULE=aims.settings.test

.DEFAULT_GOAL := help
.PHONY: help install services run test lint format bench clean

help:
	@echo "make run | test | lint | format | bench | services | install | clean"

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --no-input -q --upgrade pip
	$(PY) -m pip install --no-input -q -e ".[test]"
	touch $@

install: $(VENV)/.installed

services:
	bash scripts/ensure-services.sh

run: export DJANGO_SETTINGS_MODULE = aims.settings.local
run: install services
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py load_demo
	mkdir -p .run
	@echo "AIMS Register on http://127.0.0.1:8000"
	exec $(VENV)/bin/honcho -f Procfile start

test: install services
	bash scripts/ensure-test-tools.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(TEST_ENV) $(PY) manage.py check
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(VENV)/bin/pytest -n 2 --dist loadgroup -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install services
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) staticfiles .run
