"""Record stage for deployed state: a `pulumi stack export` file read into the same `Recording` a program run gives.

Export format version 3 (what `pulumi stack export` writes): `{"version": 3, "deployment": {"manifest", "secrets_providers",
"resources": [{"urn", "type", "custom", "id", "inputs", "outputs", "parent", "provider", "dependencies",
"propertyDependencies", "protect", "retainOnDelete", "sourcePosition", ...}], "pending_operations"}}`.
Secrets are `{SIG_KEY: SECRET_SIG, "ciphertext": ...}`, or `"plaintext": "<json>"` after `--show-secrets`; both become the
wire form `{SIG_KEY: SECRET_SIG, "value": ...}` the policy analyzer takes, the ciphertext one with a placeholder value
because there is no key to decrypt it offline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from preflight.errors import InputError
from preflight.inputs.json_file import load_json
from preflight.inputs.shapes import check_parent_graph
from preflight.record.project import SECRET_PLACEHOLDER
from preflight.record.recording import STACK_TYPE, Recording, Registration
from preflight.secrets import SECRET_SIG, SIG_KEY

SUPPORTED_VERSION = 3


def split_urn(urn: str) -> tuple[str, str, str, str]:
    """(stack, project, qualified type, name) of `urn:pulumi:<stack>::<project>::<type>::<name>`."""
    if not urn.startswith("urn:pulumi:"):
        raise ValueError(urn)
    parts = urn.removeprefix("urn:pulumi:").split("::", 3)
    if len(parts) != 4:
        raise ValueError(urn)
    return parts[0], parts[1], parts[2], parts[3]


def _unwrap_secrets(value: Any, where: str) -> Any:
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            if "value" in value:
                return {SIG_KEY: SECRET_SIG, "value": _unwrap_secrets(value["value"], where)}
            if "plaintext" in value:
                try:
                    plain = json.loads(value["plaintext"])
                except (TypeError, json.JSONDecodeError):
                    raise InputError(f"{where}: a secret's `plaintext` is not JSON; re-export with pulumi stack export") from None
                return {SIG_KEY: SECRET_SIG, "value": _unwrap_secrets(plain, where)}
            if "ciphertext" in value:
                return {SIG_KEY: SECRET_SIG, "value": SECRET_PLACEHOLDER}
            raise InputError(f"{where}: a secret has neither `ciphertext` nor `plaintext`")
        return {k: _unwrap_secrets(v, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap_secrets(v, where) for v in value]
    return value


def _source_position(value: Any, project_dir: Path | None) -> tuple[str, int]:
    """`sourcePosition` as the engine stores it: `project:///<path relative to the project>#<line>[,<column>]`."""
    if not isinstance(value, str) or "#" not in value:
        return "", 0
    uri, _, position = value.partition("#")
    line = position.split(",", 1)[0]
    if not line.isdigit():
        return "", 0
    if uri.startswith("project://"):
        relative = unquote(uri.removeprefix("project://")).lstrip("/")
        return (str(project_dir / relative) if project_dir is not None else relative), int(line)
    return unquote(uri.removeprefix("file://")), int(line)


def _strings(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: must be a list of URNs")
    return list(value)


def load_state(path: Path, project_dir: Path | None = None) -> Recording:
    """Reads a state export; every problem (unreadable, truncated, wrong version, malformed resource) is an InputError."""
    try:
        document = load_json(path, "--state")
    except InputError as exc:
        if "not valid JSON" not in str(exc):
            raise
        raise InputError(f"{exc}; if the file is truncated, export it again with `pulumi stack export --file FILE`") from None
    if not isinstance(document, dict) or "deployment" not in document:
        raise InputError(f"--state {path}: no `deployment`; pass the output of `pulumi stack export`, not a stack file")
    version = document.get("version")
    if version != SUPPORTED_VERSION:
        raise InputError(
            f"--state {path}: export version {version!r} is not supported; preflight reads version {SUPPORTED_VERSION} "
            "(`pulumi stack export` of pulumi 3.x)"
        )
    deployment = document["deployment"]
    resources = deployment.get("resources") if isinstance(deployment, dict) else None
    if resources is None and isinstance(deployment, dict):
        resources = []
    if not isinstance(resources, list):
        raise InputError(f"--state {path}: `deployment.resources` must be a list")

    registrations: list[Registration] = []
    links: list[tuple[str, str]] = []
    project = stack = ""
    stack_urn = ""
    for index, raw in enumerate(resources):
        where = f"--state {path}: deployment.resources[{index}]"
        if not isinstance(raw, dict):
            raise InputError(f"{where}: must be an object")
        urn, type_ = raw.get("urn"), raw.get("type")
        if not isinstance(urn, str) or not isinstance(type_, str):
            raise InputError(f"{where}: `urn` and `type` are required strings")
        try:
            stack_name, project_name, _, name = split_urn(urn)
        except ValueError:
            raise InputError(f"{where}: `urn` {urn!r} is not a Pulumi URN (urn:pulumi:<stack>::<project>::<type>::<name>)") from None
        project, stack = project or project_name, stack or stack_name
        links.append((urn, str(raw.get("parent") or "")))
        if type_ == STACK_TYPE:
            stack_urn = urn
            continue
        if raw.get("delete"):
            # An old copy awaiting deletion after a replacement: not part of the stack's desired state.
            continue
        outputs = raw.get("outputs") or {}
        # Imported and read resources, and older exports, may carry only outputs: judge those rather than nothing
        # (an empty view reads as every setting off).
        inputs = raw.get("inputs") if raw.get("inputs") is not None else outputs
        if not isinstance(inputs, dict) or not isinstance(outputs, dict):
            raise InputError(f"{where}: `inputs` and `outputs` must be objects")
        property_dependencies = raw.get("propertyDependencies") or {}
        if not isinstance(property_dependencies, dict):
            raise InputError(f"{where}: `propertyDependencies` must be an object of property names to URN lists")
        if "\0" in str(raw.get("sourcePosition") or ""):
            raise InputError(f"{where}.sourcePosition: has a NUL character, which no file path holds; fix or remove it")
        source_file, source_line = _source_position(raw.get("sourcePosition"), project_dir)
        registrations.append(
            Registration(
                urn=urn,
                type=type_,
                name=name,
                custom=bool(raw.get("custom", False)),
                parent=str(raw.get("parent") or ""),
                inputs=_unwrap_secrets(inputs, f"{where}.inputs"),
                outputs=_unwrap_secrets(outputs, f"{where}.outputs"),
                id=str(raw.get("id") or ""),
                provider=str(raw.get("provider") or ""),
                dependencies=_strings(raw.get("dependencies"), f"{where}.dependencies"),
                property_dependencies={k: _strings(v, f"{where}.propertyDependencies.{k}") for k, v in property_dependencies.items()},
                protect=bool(raw.get("protect", False)),
                retain_on_delete=bool(raw.get("retainOnDelete", False)),
                additional_secret_outputs=_strings(raw.get("additionalSecretOutputs"), f"{where}.additionalSecretOutputs"),
                ignore_changes=_strings(raw.get("ignoreChanges"), f"{where}.ignoreChanges"),
                source_file=source_file,
                source_line=source_line,
            )
        )
    check_parent_graph(links, f"--state {path}")  # every entry, copies pending deletion too: a cycle is a corrupt export
    if stack_urn:
        for registration in registrations:
            if registration.parent == stack_urn:
                registration.parent = ""
            registration.dependencies = [d for d in registration.dependencies if d != stack_urn]
    return Recording(project, stack, "state", registrations)
