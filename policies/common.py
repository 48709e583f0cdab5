"""Shared pieces of the logmesh-soc2 policies: metadata builders, tolerant property access, JSON documents.

Every policy carries its SOC 2 metadata in pulumi_policy's own fields (severity, framework, tags,
remediation_steps, config_schema), so the Pulumi CLI, preflight and the README's control matrix all read
the same source. Every validator runs through `policies.exceptions.guard`, which turns violations on
resources with an approved, unexpired exception into recorded exceptions.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from policies import exceptions

FRAMEWORK_NAME = "SOC 2"
FRAMEWORK_VERSION = "2017 TSC (2022 points of focus)"

Report = Callable[..., None]
"""`report(message, urn=None)`: a violation; for stack policies pass the offending resource's URN."""


def framework(criteria: Sequence[str], anchors: str) -> PolicyComplianceFramework:
    return PolicyComplianceFramework(
        name=FRAMEWORK_NAME, version=FRAMEWORK_VERSION, reference=", ".join(criteria), specification=anchors
    )


def _schema(settings: Mapping[str, Mapping[str, Any]]) -> PolicyConfigSchema:
    return PolicyConfigSchema(properties={**{k: dict(v) for k, v in settings.items()}, "exceptions": exceptions.SCHEMA})


def settings_of(config: Mapping[str, Any], defaults: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Schema defaults overlaid with the policy's configuration (empty when the CLI runs without a config file)."""
    merged = {k: v["default"] for k, v in defaults.items() if "default" in v}
    merged.update({k: v for k, v in dict(config).items() if k != "exceptions"})
    return merged


@dataclass
class Check:
    """What a validator receives besides the pulumi_policy args: the merged settings."""

    settings: dict[str, Any]


ResourceCheck = Callable[[ResourceValidationArgs, Report, Check], None]
StackCheck = Callable[[StackValidationArgs, Report, Check], None]
_Args = TypeVar("_Args", ResourceValidationArgs, StackValidationArgs)


def _run_guarded(
    name: str, defaults: Mapping[str, Mapping[str, Any]], check: Callable[[_Args, Report, Check], None], args: _Args,
    report_violation: ReportViolation, default_urn: str | None,
) -> None:
    """Runs `check` with the policy's merged settings; its reports go through the exception guard."""
    config = args.get_config()
    report = exceptions.guard(name, config, report_violation, default_urn=default_urn)
    check(args, report, Check(settings_of(config, defaults)))


def _policy_fields(
    name: str, description: str, criteria: Sequence[str], anchors: str, severity: Severity, remediation: str, domain: str,
    defaults: Mapping[str, Mapping[str, Any]], enforcement_level: EnforcementLevel | None,
) -> dict[str, Any]:
    """The pulumi_policy fields every logmesh policy sets, resource or stack."""
    return {
        "name": name,
        "description": description,
        "enforcement_level": enforcement_level,
        "config_schema": _schema(defaults),
        "severity": severity,
        "framework": framework(criteria, anchors),
        "tags": [domain, *criteria],
        "remediation_steps": remediation,
    }


def resource_policy(
    *,
    name: str,
    description: str,
    criteria: Sequence[str],
    anchors: str,
    severity: Severity,
    remediation: str,
    domain: str,
    types: Sequence[str] | None,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    enforcement_level: EnforcementLevel | None = None,
) -> Callable[[ResourceCheck], ResourceValidationPolicy]:
    """Builds a ResourceValidationPolicy from a check function; `types` limits it to those resource types."""
    defaults = dict(settings or {})
    fields = _policy_fields(name, description, criteria, anchors, severity, remediation, domain, defaults, enforcement_level)

    def build(check: ResourceCheck) -> ResourceValidationPolicy:
        def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
            if types is None or args.resource_type in types:
                _run_guarded(name, defaults, check, args, report_violation, default_urn=args.urn)

        return ResourceValidationPolicy(validate=validate, **fields)

    return build


def stack_policy(
    *,
    name: str,
    description: str,
    criteria: Sequence[str],
    anchors: str,
    severity: Severity,
    remediation: str,
    domain: str,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    enforcement_level: EnforcementLevel | None = None,
) -> Callable[[StackCheck], StackValidationPolicy]:
    """Builds a StackValidationPolicy from a check function; its reports name the offending resource's URN."""
    defaults = dict(settings or {})
    fields = _policy_fields(name, description, criteria, anchors, severity, remediation, domain, defaults, enforcement_level)

    def build(check: StackCheck) -> StackValidationPolicy:
        def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
            _run_guarded(name, defaults, check, args, report_violation, default_urn=None)

        return StackValidationPolicy(validate=validate, **fields)

    return build


# --- settings schemas shared by several policies ------------------------------------------------------------

def days_setting(default: int, description: str, minimum: int = 1) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "maximum": 36500, "default": default, "description": description}


def bool_setting(default: bool, description: str) -> dict[str, Any]:
    return {"type": "boolean", "default": default, "description": description}


RETENTION_SETTINGS: dict[str, dict[str, Any]] = {
    "min_retention_days": days_setting(365, "Shortest allowed log retention in object storage, in days."),
    "max_retention_days": days_setting(2555, "Longest allowed log retention in object storage, in days (data minimisation)."),
}


# --- tolerant property access -------------------------------------------------------------------------------

class Deferred:
    """Lets a stack policy give a verdict on everything known and still flag what preview cannot know.

    Each subject is checked inside `each()`; an unknown value there ends only that subject's check. `finish()`
    re-raises the first one, which the analyzer turns into its advisory "can't be known during preview"
    after the violations already reported."""

    def __init__(self) -> None:
        self.first: UnknownValueError | None = None

    @contextmanager
    def each(self) -> Iterator[None]:
        try:
            yield
        except UnknownValueError as error:
            if self.first is None:
                self.first = error

    def finish(self) -> None:
        if self.first is not None:
            raise self.first


def get(value: Any, *path: str | int, default: Any = None) -> Any:
    """`value[path0][path1]...`, or `default` when a step is missing; unknown values still raise."""
    for step in path:
        if isinstance(step, int):
            if not is_list(value) or step >= len(value):
                return default
            value = value[step]
        else:
            if not isinstance(value, Mapping) or step not in value:
                return default
            value = value[step]
        if value is None:
            return default
    return value


def known(value: Any, *path: str | int, default: Any = None) -> Any:
    """Like `get`, but an unknown value gives `default` (used for join keys, where unknown means 'no match')."""
    try:
        return get(value, *path, default=default)
    except UnknownValueError:
        return default


def is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def as_list(value: Any) -> list[Any]:
    """A list for list-or-object fields (the provider SDKs accept either in several places)."""
    if value is None:
        return []
    if is_list(value):
        return list(value)
    return [value]


def number(value: Any) -> float | None:
    """Numbers arrive as floats (protobuf Struct), sometimes as strings."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in ("true", "on", "yes", "enabled", "1")
    return False


def falsy(value: Any) -> bool:
    """Explicitly switched off (absent is not falsy)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, str):
        return value.strip().lower() in ("false", "off", "no", "disabled", "0")
    return False


def plain(value: Any) -> Any:
    """A deep copy as plain dicts and lists; unknown values raise."""
    if isinstance(value, Mapping):
        return {str(k): plain(value[k]) for k in value}
    if is_list(value):
        return [plain(v) for v in value]
    return value


def json_document(value: Any) -> dict[str, Any] | None:
    """An IAM/bucket/key policy given as a JSON string (or already an object). None when absent or invalid."""
    if value is None or value == "":
        return None
    if isinstance(value, Mapping):
        return plain(value)  # type: ignore[no-any-return]
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def statements(document: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    if not document:
        return []
    return [s for s in as_list(document.get("Statement")) if isinstance(s, dict)]


def strings(value: Any) -> list[str]:
    return [str(v) for v in as_list(value) if v is not None]


def principals(statement: Mapping[str, Any]) -> dict[str, list[str]]:
    """A statement's Principal as {"AWS": [...], "Service": [...], "Federated": [...]}; "*" becomes {"*": ["*"]}."""
    principal = statement.get("Principal")
    if principal is None:
        return {}
    if isinstance(principal, str):
        return {"*": [principal]} if principal == "*" else {"AWS": [principal]}
    if isinstance(principal, Mapping):
        return {str(k): strings(v) for k, v in principal.items()}
    return {}


def condition_keys(statement: Mapping[str, Any]) -> dict[str, list[str]]:
    """Condition keys (lower-cased) to their values, across operators."""
    found: dict[str, list[str]] = {}
    for _operator, clause in (statement.get("Condition") or {}).items():
        if isinstance(clause, Mapping):
            for key, value in clause.items():
                found.setdefault(str(key).lower(), []).extend(strings(value))
    return found


def condition(statement: Mapping[str, Any], operator_suffix: str, key: str) -> list[str] | None:
    """Values of `key` under an operator ending in `operator_suffix` (e.g. "Bool", "StringEquals")."""
    for operator, clause in (statement.get("Condition") or {}).items():
        if str(operator).endswith(operator_suffix) and isinstance(clause, Mapping):
            for k, v in clause.items():
                if str(k).lower() == key.lower():
                    return strings(v)
    return None


def name_of(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def deps(resource: PolicyResource, prop: str, *types: str) -> list[PolicyResource]:
    """Resources of `types` that property `prop` depends on (known even in a preview)."""
    return [d for d in resource.property_dependencies.get(prop, []) if not types or d.resource_type in types]


def ids_of(resource: PolicyResource, *props: str) -> set[str]:
    """Known identifying values of a resource (name, id, ARN...), for joining on references by value."""
    found: set[str] = set()
    for prop in props:
        value = known(resource.props, prop)
        if isinstance(value, str) and value:
            found.add(value)
    return found


def provider_key(resource: PolicyResource) -> str:
    """Which cluster or account a resource lands in: its provider's URN ('' for the default provider)."""
    return resource.provider.urn if resource.provider is not None else ""
