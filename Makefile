# Orderloop: `make run` starts the system, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed

.PHONY: run test lint bench clean-db

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/python scripts/run.py

test: $(DEV_STAMP)
	bash scripts/test-setup.sh
	$(BIN)/python manage.py compile_translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(RUN_STAMP)
	$(BIN)/python bench/import_catalog.py
	$(BIN)/python bench/build_wave.py
	$(BIN)/python bench/place_orders.py
	$(BIN)/python bench/placement_cpu.py

clean-db:
	rm -f var/orderloop.sqlite3 var/orderloop.sqlite3-wal var/orderloop.sqlite3-shm
