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

.PHONY: preflight charts test lint format-check format typecheck unit bench clean

# Bootstrap: the pinned uv goes into .venv itself (a venv without pip; the pip of $(PYTHON) installs uv into it, or,
# where $(PYTHON) has no pip, the venv's own ensurepip, which is slower), then uv makes .venv match uv.lock exactly.
# --locked fails when uv.lock is stale instead of rewriting it.
PIP_INSTALL := install --quiet --disable-pip-version-check
$(BIN)/.installed: pyproject.toml uv.lock
	test -x $(BIN)/uv || { $(PYTHON) -m venv --without-pip $(VENV) && \
	  { $(PYTHON) -m pip --python $(BIN)/python $(PIP_INSTALL) $(UV_PIN) 2>/dev/null || \
	    { $(BIN)/python -m ensurepip --default-pip && $(BIN)/python -m pip $(PIP_INSTALL) $(UV_PIN); }; }; }
	$(BIN)/uv sync --locked --quiet
	touch $@

preflight: $(BIN)/.installed
	$(BIN)/python -m preflight --stack $(STACK) --format $(FORMAT) $(if $(OUTPUT),--output $(OUTPUT)) $(PREFLIGHT_ARGS)

# Fetch every pinned chart (components/pins.py) once into .charts/, checked against its repository's index digest;
# preflight then renders the Helm releases from there, offline.
charts: $(BIN)/.installed
	$(BIN)/python -m preflight charts

# mypy uses one core and the suite mostly one: run side by side on the 2-core CI machine, each target's output kept
# together. pytest-xdist (2 workers by file) passes since the order dependence behind `pulumi_aws.eks has no attribute
# Cluster` was fixed (preflight/record/sdk_types.py), but did not pay here: `make test` took 529 s with it and 464 s
# without, on a machine other jobs shared (docs/performance.md#the-test-suite); each worker repeats the session's
# recordings and the CLI forkserver's imports.
test: lint format-check
	$(MAKE) --no-print-directory -j2 --output-sync=target typecheck unit

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
