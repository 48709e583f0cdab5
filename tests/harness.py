"""Run the real logmesh program under the Pulumi SDK's mocks, for any stack file or config dict."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from preflight.project import load_project, load_stack_config
from preflight.recorder import Recording, record_program

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("dev", "staging", "prod")
PROJECT = load_project(ROOT)


def stack_config(stack: str) -> dict[str, Any]:
    """The example stack's config map (`logmesh:key` -> value), a fresh copy to mutate."""
    return copy.deepcopy(load_stack_config(PROJECT, stack).values)


def run(config: dict[str, Any], stack: str = "test", preview: bool = False) -> Recording:
    return record_program(PROJECT.main, PROJECT.name, stack, config, preview=preview)


def run_stack(stack: str, preview: bool = False) -> Recording:
    return run(stack_config(stack), stack, preview)
