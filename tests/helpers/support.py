"""Reading a Recording in tests: wire values with secrets unwrapped, everything below a component, a
registration's Kubernetes provider, the strings outside secrets; and the mark of tests that need the chart cache."""

from __future__ import annotations

import os
from typing import Any

import pytest

from preflight.record.recording import Recording, Registration
from preflight.secrets import is_secret

# Set by CI's `charts` job (.github/workflows/preflight.yml) after `make charts`: there a test that needs the chart
# cache runs, and fails on a missing chart, instead of skipping.
CHARTS_REQUIRED_ENV = "LOGMESH_CHARTS_REQUIRED"


def needs_chart_cache(present: bool, reason: str) -> pytest.MarkDecorator:
    """Skips the tests without the upstream charts (`make charts`, not in the repository), except where
    CHARTS_REQUIRED_ENV says the cache must be there."""
    return pytest.mark.skipif(not present and not os.environ.get(CHARTS_REQUIRED_ENV), reason=reason)


def plain(value: Any) -> Any:
    """Wire properties with every secret unwrapped to its value."""
    if is_secret(value):
        return plain(value["value"])
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def manifest(registration: Registration) -> dict[str, Any]:
    """The object as the provider would send it, rebuilt from the registered inputs (auto-names from outputs; a
    server-side patch as the kind it patches)."""
    group_version, kind = registration.type.removeprefix("kubernetes:").rsplit(":", 1)
    obj = {k: v for k, v in plain(registration.inputs).items() if k not in ("apiVersion", "kind")}
    obj["metadata"] = {**obj.get("metadata", {}), "name": registration.outputs["metadata"]["name"]}
    return {"apiVersion": group_version.removeprefix("core/"), "kind": kind.removesuffix("Patch"), **obj}


def descendants(recording: Recording, parent: Registration) -> list[Registration]:
    """Every registration below `parent` (its children, their children, ...)."""
    found: list[Registration] = []
    frontier = [parent.urn]
    while frontier:
        urn = frontier.pop()
        for r in recording.resources:
            if r.parent == urn:
                found.append(r)
                frontier.append(r.urn)
    return found


def below(recording: Recording, parent: Registration, type_: str) -> list[Registration]:
    """The registrations of `type_` anywhere below `parent`."""
    return [r for r in descendants(recording, parent) if r.type == type_]


def provider_name(registration: Registration) -> str:
    """The Kubernetes provider's resource name (`<cluster>-k8s`) a registration uses."""
    return registration.provider.split("::")[-2] if "::" in registration.provider else ""


def public_strings(value: Any, found: list[str]) -> list[str]:
    """Every string on the wire outside a secret-marked value (a CA certificate, for instance, is public)."""
    if isinstance(value, dict) and not is_secret(value):
        for v in value.values():
            public_strings(v, found)
    elif isinstance(value, list):
        for v in value:
            public_strings(v, found)
    elif isinstance(value, str):
        found.append(value)
    return found
