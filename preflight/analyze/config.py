"""Policy config: a `--policy-pack-config` file, resolved per policy the way the Pulumi CLI resolves it."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
from pulumi_policy import EnforcementLevel

from preflight.analyze.findings import EXCEPTIONS_POLICY
from preflight.analyze.pack import PolicyPackSpec
from preflight.errors import InputError
from preflight.inputs.json_file import load_json
from preflight.inputs.yaml_file import load_yaml

_LEVELS = {
    "advisory": EnforcementLevel.ADVISORY,
    "mandatory": EnforcementLevel.MANDATORY,
    "remediate": EnforcementLevel.REMEDIATE,
    "disabled": EnforcementLevel.DISABLED,
}


def load_policy_config(path: Path | None) -> dict[str, Any]:
    """A `--policy-pack-config` file, exactly as the Pulumi CLI takes it."""
    if path is None:
        return {}
    document = load_json(path, "--policy-config")
    if not isinstance(document, dict):
        raise InputError(f"--policy-config {path}: must be a JSON object of policy names to settings")
    return document


def config_digest(path: Path | None) -> str:
    """SHA-256 of a policy config file's bytes, as reports name it ("" for the pack's defaults)."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path is not None else ""


def owning_project(pack_dir: Path) -> str:
    """The name of the Pulumi project that holds the pack (its parent folder's Pulumi.yaml), or ""."""
    project_file = pack_dir.resolve().parent / "Pulumi.yaml"
    if not project_file.is_file():
        return ""
    document = load_yaml(project_file, "the policy pack's project file") or {}
    name = document.get("name") if isinstance(document, dict) else None
    return name if isinstance(name, str) else ""


def default_config_file(pack_dir: Path, project: str, stack: str) -> Path | None:
    """The config a run applies without --policy-config: `<pack>/config/<stack>.json` only for the project that holds
    the pack (logmesh): those files are its environments' settings. Another project gets the pack's defaults unless
    it names a config."""
    default = pack_dir / "config" / f"{stack}.json"
    return default if project and project == owning_project(pack_dir) and default.is_file() else None


def _check_settings(policy: str, schema: Mapping[str, Any], properties: Mapping[str, Any], where: str) -> None:
    """Each resolved setting against its schema: a `null` or mistyped setting must not silently turn a check off."""
    for key, value in properties.items():
        if key == "exceptions" or key not in schema:
            continue  # exceptions: checked by the pack against the stack (policies/exceptions.py)
        error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(dict(schema[key])).iter_errors(value))
        if error is not None:
            allowed = {k: v for k, v in schema[key].items() if k in ("type", "enum", "minimum", "maximum")}
            raise InputError(f"{where}: {policy}.{key}: {error.message}; allowed: {json.dumps(allowed)}")


def _exceptions(resolved: Mapping[str, Mapping[str, Any]]) -> Iterator[tuple[str, int, Mapping[str, Any]]]:
    for policy, entry in resolved.items():
        for index, item in enumerate(entry["properties"].get("exceptions") or []):
            if isinstance(item, Mapping):
                yield policy, index, item


def _check_exception_bounds(resolved: Mapping[str, Mapping[str, Any]], source: str) -> None:
    """An approval runs at most approved-exceptions' `max_exception_days` (default 365) after today."""
    limit = (resolved.get(EXCEPTIONS_POLICY) or {}).get("properties", {}).get("max_exception_days")
    if not isinstance(limit, int):
        return
    today = datetime.datetime.now(datetime.UTC).date()
    for policy, index, item in _exceptions(resolved):
        try:
            expires = datetime.date.fromisoformat(str(item.get("expires")))
        except ValueError:
            continue  # the pack names a malformed date itself
        if (expires - today).days > limit:
            raise InputError(
                f"{source}: {policy}.exceptions[{index}].expires {expires.isoformat()} is {(expires - today).days} days ahead; "
                f"an approval runs at most {limit} days ({EXCEPTIONS_POLICY}.max_exception_days): renew it when it expires"
            )


def check_exception_targets(resolved: Mapping[str, Mapping[str, Any]], urns: Iterable[str], source: str) -> None:
    """Every exception names one resource of the stack (its URN or resource name): an approval for a resource that is
    not there approves nothing, and usually means a renamed resource or a pattern."""
    known = set(urns)
    names = {urn.rsplit("::", 1)[-1] for urn in known}
    for policy, index, item in _exceptions(resolved):
        resource = str(item.get("resource") or "")
        if resource not in known and resource not in names:
            raise InputError(
                f"{source}: {policy}.exceptions[{index}].resource {resource!r} is not a resource of this stack; "
                "name one resource by its URN or resource name (no wildcards)"
            )


def _level(value: Any, where: str) -> EnforcementLevel:
    if not isinstance(value, str) or value not in _LEVELS:
        raise InputError(f"{where}: enforcement level {value!r} is not one of {', '.join(_LEVELS)}")
    return _LEVELS[value]


def resolve_config(pack: PolicyPackSpec, raw: Mapping[str, Any], source: str = "policy config") -> dict[str, dict[str, Any]]:
    """Per policy: its enforcement level and properties (schema defaults < initial config < file), as the
    CLI computes them before it calls Configure. Unknown policy names and properties are input errors."""
    names = {p.name for p in pack.policies}
    unknown = sorted(set(raw) - names - {"all"})
    if unknown:
        raise InputError(f"{source}: unknown policy {unknown[0]!r}; the pack {pack.name} has no such policy")
    default_level = _level(raw["all"], f"{source}: all") if "all" in raw else None
    resolved: dict[str, dict[str, Any]] = {}
    for policy in pack.policies:
        schema = policy.config_schema.properties if policy.config_schema else {}
        properties = {k: v["default"] for k, v in schema.items() if "default" in v}
        level = default_level or policy.enforcement_level or pack.enforcement_level
        for layer, where in (((pack.initial_config or {}).get(policy.name), "initial config"), (raw.get(policy.name), source)):
            if isinstance(layer, str):
                level = _level(layer, f"{where}: {policy.name}")
            elif isinstance(layer, EnforcementLevel):
                level = layer
            elif isinstance(layer, dict):
                extra = dict(layer)
                if "enforcementLevel" in extra:
                    level = _level(extra.pop("enforcementLevel"), f"{where}: {policy.name}.enforcementLevel")
                bad = sorted(set(extra) - set(schema))
                if bad:
                    allowed = ", ".join(sorted(schema)) or "none"
                    raise InputError(f"{where}: {policy.name}.{bad[0]} is not a setting of this policy; allowed: {allowed}")
                _check_settings(policy.name, schema, extra, where)
                properties.update(extra)
            elif layer is not None:
                raise InputError(f"{where}: {policy.name} must be an enforcement level or an object")
        resolved[policy.name] = {"enforcementLevel": level, "properties": properties}
    _check_exception_bounds(resolved, source)
    if resolved.get(EXCEPTIONS_POLICY, {}).get("enforcementLevel") == EnforcementLevel.DISABLED:
        # The pack reports excepted violations only through this policy: disabled, they would vanish from every report.
        raise InputError(
            f"{source}: {EXCEPTIONS_POLICY} cannot be disabled; it is how approved exceptions reach the report (set it to advisory)"
        )
    return resolved
