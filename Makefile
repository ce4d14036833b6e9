# Two commands do all the set-up: `make run` and `make test`. Both create .venv at the root.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: setup
	$(BIN)/igclaim build $(filter-out $(wildcard examples/*-scrub-*.json),$(wildcard examples/*.json)) --format table
	$(BIN)/igclaim scrub $(wildcard examples/*-scrub-*.json) --format table

lint: setup
	$(BIN)/ruff check src tests benchmarks

test: lint
	$(BIN)/pytest

bench: setup
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
