# Two entry points for a newcomer: `make preflight STACK=dev` and `make test`.
# Each creates .venv from the pinned requirement files on first use (and again when they change).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= dev
FORMAT ?= text
# Write the report to a file (the summary line still goes to the terminal), e.g. OUTPUT=preflight-prod.sarif
OUTPUT ?=
PREFLIGHT_ARGS ?=

.PHONY: preflight test lint typecheck unit bench clean

$(BIN)/.installed: requirements.txt requirements-dev.txt constraints.txt policies/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

preflight: $(BIN)/.installed
	$(BIN)/python -m preflight --stack $(STACK) --format $(FORMAT) $(if $(OUTPUT),--output $(OUTPUT)) $(PREFLIGHT_ARGS)

test: lint typecheck unit

lint: $(BIN)/.installed
	$(BIN)/ruff check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

unit: $(BIN)/.installed
	$(BIN)/pytest

bench: $(BIN)/.installed
	$(BIN)/python -m preflight.bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
