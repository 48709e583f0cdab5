"""The record stage's result: plain data, which the analyze and report stages take without knowing whether it came
from a program run or from a state export."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class Registration:
    """One resource as the engine would receive it: wire (camelCase) inputs, secrets still marked."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    inputs: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    provider: str = ""
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    protect: bool = False
    retain_on_delete: bool = False
    additional_secret_outputs: list[str] = field(default_factory=list)
    ignore_changes: list[str] = field(default_factory=list)
    source_file: str = ""
    source_line: int = 0


@dataclass(frozen=True)
class StandIn:
    """A value the verdict rests on that preflight made up offline instead of reading it from a cloud: an invoke's
    result, a computed output, an undecrypted secret, a stack reference's outputs. Reports list them."""

    kind: str  # "invoke", "output", "secret" or "stack-reference"
    subject: str  # the invoke token, the resource URN, the config key or the referenced stack
    detail: str = ""  # which fields, in words


@dataclass(frozen=True)
class NotRendered:
    """A Helm release whose objects preflight could not render (preflight/record/charts.py), and why."""

    release: str  # the Release's URN
    chart: str
    version: str
    reason: str


@dataclass
class ChartsOutcome:
    """What rendering did: objects per rendered release (by URN), the releases it could not render."""

    cache: str
    rendered: dict[str, int] = field(default_factory=dict)
    not_rendered: list[NotRendered] = field(default_factory=list)


@dataclass
class Recording:
    project: str
    stack: str
    mode: str  # "program" or "state"
    resources: list[Registration]
    stack_outputs: dict[str, Any] = field(default_factory=dict)
    stand_ins: list[StandIn] = field(default_factory=list)
    charts: ChartsOutcome | None = None  # None: rendering did not run (no Helm release, or not asked)

    def by_urn(self) -> dict[str, Registration]:
        return {r.urn: r for r in self.resources}

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_]
