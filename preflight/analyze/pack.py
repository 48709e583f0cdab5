"""A policy pack as its entry point declares it, captured by running `__main__.py` without serving it."""

from __future__ import annotations

import runpy
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi_policy
from pulumi_policy import EnforcementLevel, Policy

from preflight.errors import InputError
from preflight.inputs.yaml_file import load_yaml


@dataclass
class PolicyPackSpec:
    """What a pack's `__main__.py` passes to `PolicyPack(...)`, captured without serving it."""

    name: str
    version: str
    policies: list[Policy]
    enforcement_level: EnforcementLevel
    initial_config: dict[str, Any] | None
    directory: Path

    def policy(self, name: str) -> Policy:
        return next(p for p in self.policies if p.name == name)


@contextmanager
def _capturing_policy_pack(captured: dict[str, Any]) -> Iterator[None]:
    """Replaces `pulumi_policy.PolicyPack` so running a pack's entry point records its arguments
    instead of starting the gRPC server that serves forever."""

    class CapturedPolicyPack:
        def __init__(
            self,
            name: str,
            policies: list[Policy],
            enforcement_level: EnforcementLevel | None = None,
            initial_config: dict[str, Any] | None = None,
            **_: Any,
        ) -> None:
            captured.update(name=name, policies=policies, enforcement_level=enforcement_level, initial_config=initial_config)

    original = pulumi_policy.PolicyPack
    pulumi_policy.PolicyPack = CapturedPolicyPack  # type: ignore[misc,assignment]
    try:
        yield
    finally:
        pulumi_policy.PolicyPack = original  # type: ignore[misc]


def load_policy_pack(directory: Path) -> PolicyPackSpec:
    entry = directory / "__main__.py"
    manifest = directory / "PulumiPolicy.yaml"
    if not entry.is_file() or not manifest.is_file():
        raise InputError(f"--policy-pack {directory}: needs PulumiPolicy.yaml and __main__.py; pass a policy pack folder")
    spec = load_yaml(manifest, "policy pack manifest") or {}
    if not isinstance(spec, dict):
        raise InputError(f"{manifest}: must be a mapping (`runtime: python`, `version: ...`)")
    captured: dict[str, Any] = {}
    parent = str(directory.resolve().parent)
    sys.path.insert(0, parent)
    try:
        with _capturing_policy_pack(captured):
            runpy.run_path(str(entry), run_name="__main__")
    finally:
        sys.path.remove(parent)
    if not captured:
        raise InputError(f"{entry}: did not construct a PolicyPack")
    return PolicyPackSpec(
        name=captured["name"],
        version=str(spec.get("version") or "0.0.1"),
        policies=list(captured["policies"]),
        enforcement_level=captured["enforcement_level"] or EnforcementLevel.ADVISORY,
        initial_config=captured["initial_config"],
        directory=directory,
    )
