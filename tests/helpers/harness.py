"""Run the real logmesh program under the Pulumi SDK's mocks, for any stack file or config dict."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from preflight.record.program import record_program
from preflight.record.project import load_project, load_stack_config
from preflight.record.recording import Recording

ROOT = Path(__file__).resolve().parents[2]
PROJECT = load_project(ROOT)
# Every example stack; the Loki ones are also recorded switched to ELK (`elk_config`), staging-elk is ELK as declared.
STACKS = ("dev", "staging", "prod", "staging-elk")
LOKI_STACKS = tuple(s for s in STACKS if load_stack_config(PROJECT, s).values["logmesh:backend"] == "loki")


def stack_config(stack: str) -> dict[str, Any]:
    """The example stack's config map (`logmesh:key` -> value), a fresh copy to mutate."""
    return copy.deepcopy(load_stack_config(PROJECT, stack).values)


# The keys an example stack file holds `secure:` (staging's logmesh:datadog): a copy of its config run under another
# stack name has no stack file to say so, so the runs below pass them as the CLI would.
EXAMPLE_SECRET_KEYS = {key for stack in STACKS for key in load_stack_config(PROJECT, stack).secret_keys}


# The same, as parse_config names them (without the `logmesh:` namespace).
EXAMPLE_SECRET_NAMES = sorted(key.removeprefix("logmesh:") for key in EXAMPLE_SECRET_KEYS)


def secret_keys_of(config: dict[str, Any]) -> list[str]:
    return sorted(key for key in EXAMPLE_SECRET_KEYS if key in config)


def run(config: dict[str, Any], stack: str = "test", preview: bool = False) -> Recording:
    return record_program(PROJECT.main, PROJECT.name, stack, config, secret_keys_of(config), preview=preview)


def run_stack(stack: str, preview: bool = False) -> Recording:
    return run(stack_config(stack), stack, preview)


def elk_config(stack: str) -> dict[str, Any]:
    """An example stack switched to ELK: Alloy clusters (Alloy ships only to Loki) collect with Filebeat, the others
    keep Fluent Bit."""
    config = stack_config(stack)
    config["logmesh:backend"] = "elk"
    for cluster in config["logmesh:clusters"]:
        if cluster.get("collector") == "alloy":
            cluster["collector"] = "filebeat"
    return config


# Recordings shared by every test module: the program is deterministic, so each is made once; treat as read-only.
_examples: dict[str, Recording] = {}
_elk_examples: dict[str, Recording] = {}


def example_recording(stack: str) -> Recording:
    """The example stack as its file declares it (the `example` fixture)."""
    if stack not in _examples:
        _examples[stack] = run_stack(stack)
    return _examples[stack]


def elk_recording(stack: str) -> Recording:
    """`elk_config(stack)`, recorded (an ELK example stack is its own recording)."""
    if stack not in LOKI_STACKS:
        return example_recording(stack)
    if stack not in _elk_examples:
        _elk_examples[stack] = run(elk_config(stack), stack)
    return _elk_examples[stack]
