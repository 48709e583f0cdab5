# Two entry points for a newcomer: `make preflight STACK=dev` and `make test`.
# Each creates .venv from uv.lock on first use (and syncs it again when pyproject.toml or uv.lock change).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The uv that builds .venv: the dev group's pin in pyproject.toml, its only home.
UV_PIN := $(shell sed -n 's/^ *"\(uv==[^"]*\)".*/\1/p' pyproject.toml)
STACK ?= dev
FORMAT ?= text
# Write the report to a file (the summary line still goes to the terminal), e.g. OUTPUT=preflight-prod.sarif
OUTPUT ?=
PREFLIGHT_ARGS ?=

.PHONY: preflight test lint format-check format typecheck unit bench clean

# Bootstrap: a plain venv with pip installs the pinned uv into .venv itself, then uv makes .venv match uv.lock
# exactly. --locked fails when uv.lock is stale instead of rewriting it.
$(BIN)/.installed: pyproject.toml uv.lock
	test -x $(BIN)/uv || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet --disable-pip-version-check $(UV_PIN); }
	$(BIN)/uv sync --locked --quiet
	touch $@

preflight: $(BIN)/.installed
	$(BIN)/python -m preflight --stack $(STACK) --format $(FORMAT) $(if $(OUTPUT),--output $(OUTPUT)) $(PREFLIGHT_ARGS)

test: lint format-check typecheck unit

lint: $(BIN)/.installed
	$(BIN)/ruff check .

format-check: $(BIN)/.installed
	$(BIN)/ruff format --check .

format: $(BIN)/.installed
	$(BIN)/ruff format .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

unit: $(BIN)/.installed
	$(BIN)/pytest

bench: $(BIN)/.installed
	$(BIN)/python -m preflight.bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
