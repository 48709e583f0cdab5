"""Policy config: a `--policy-pack-config` file, resolved per policy the way the Pulumi CLI resolves it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pulumi_policy import EnforcementLevel

from preflight.analyze.findings import EXCEPTIONS_POLICY
from preflight.analyze.pack import PolicyPackSpec
from preflight.errors import InputError
from preflight.inputs.json_file import load_json

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
                properties.update(extra)
            elif layer is not None:
                raise InputError(f"{where}: {policy.name} must be an enforcement level or an object")
        resolved[policy.name] = {"enforcementLevel": level, "properties": properties}
    if resolved.get(EXCEPTIONS_POLICY, {}).get("enforcementLevel") == EnforcementLevel.DISABLED:
        # The pack reports excepted violations only through this policy: disabled, they would vanish from every report.
        raise InputError(
            f"{source}: {EXCEPTIONS_POLICY} cannot be disabled; it is how approved exceptions reach the report (set it to advisory)"
        )
    return resolved
