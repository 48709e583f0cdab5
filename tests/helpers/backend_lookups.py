"""Recordings of the backend-only program (tests/helpers/backend_program.py) for each example stack and backend,
made once, and lookups of a backend's resources in them."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from preflight.record.recording import Recording, Registration
from tests.helpers.backend_program import config_for, record
from tests.helpers.harness import LOKI_STACKS, STACKS
from tests.helpers.support import below, descendants, plain

# The Loki examples with either backend, and the ELK ones as declared (switching one to Loki proves nothing new).
VARIANTS = [(stack, backend) for backend in ("loki", "elk") for stack in STACKS if backend == "elk" or stack in LOKI_STACKS]
_cache: dict[tuple[str, str], Recording] = {}


def backend_recording(stack: str, kind: str, tmp: Path | None = None) -> Recording:
    """The example stack with backend `kind`, its stores as plain values, recorded once."""
    if (stack, kind) not in _cache:
        _cache[(stack, kind)] = record(config_for(stack, kind), tmp or Path(tempfile.mkdtemp(prefix="logmesh-backend-")))
    return _cache[(stack, kind)]


def loki_backend_recording(stack: str) -> Recording:
    return backend_recording(stack, "loki")


def elk_backend_recording(stack: str) -> Recording:
    return backend_recording(stack, "elk")


# --- helpers -------------------------------------------------------------------------------------------------


def backends(recording: Recording) -> list[Registration]:
    return [r for r in recording.resources if r.type.startswith("logmesh:backends:")]


def store_of(backend: Registration) -> str:
    return backend.name


def one(recording: Recording, backend: Registration, type_: str, name: str) -> Registration:
    found = [r for r in below(recording, backend, type_) if plain(r.inputs).get("metadata", {}).get("name") == name or r.name == name]
    assert len(found) == 1, (type_, name, [r.name for r in below(recording, backend, type_)])
    return found[0]


def release(recording: Recording, backend: Registration, chart: str) -> dict[str, Any]:
    found = [plain(r.inputs) for r in below(recording, backend, "kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == chart]
    assert len(found) == 1
    return found[0]


def endpoint(recording: Recording, store: str) -> dict[str, Any]:
    return plain(recording.stack_outputs["endpoints"])[store]


def custom(recording: Recording, backend: Registration, kind: str) -> dict[str, Any]:
    found = [plain(r.inputs) for r in descendants(recording, backend) if r.type.endswith(f":{kind}") and r.custom]
    assert len(found) == 1, kind
    return found[0]


def policies(recording: Recording, backend: Registration) -> dict[str, dict[str, Any]]:
    found = below(recording, backend, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
    return {plain(r.inputs)["metadata"]["name"]: plain(r.inputs)["spec"] for r in found}


def secret_data(recording: Recording, backend: Registration, name: str) -> dict[str, str]:
    return plain(one(recording, backend, "kubernetes:core/v1:Secret", name).inputs)["stringData"]


def generated_credentials(recording: Recording) -> set[str]:
    """Every password, password hash and private key the program generated (the provider outputs)."""
    found = set()
    for r in recording.resources:
        if r.type == "random:index/randomPassword:RandomPassword":
            found |= {plain(r.outputs)["result"], plain(r.outputs)["bcryptHash"]}
        if r.type == "tls:index/privateKey:PrivateKey":
            found.add(plain(r.outputs)["privateKeyPem"])
    return found


def containers_env(value: Any) -> list[Any]:
    """Every `env` list anywhere in a manifest (pod specs, pod templates, custom resources, Helm values)."""
    found: list[Any] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("env", "extraEnv") and isinstance(item, list):
                found.append(item)
            found += containers_env(item)
    elif isinstance(value, list):
        for item in value:
            found += containers_env(item)
    return found
