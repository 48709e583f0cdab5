"""The logmesh-soc2 pack framework: policy decorators, settings, the check context and preview-safe verdicts.

Every policy carries its SOC 2 metadata in pulumi_policy's own fields (severity, framework, tags,
remediation_steps, config_schema), so the Pulumi CLI, preflight and the generated control matrix all read
the same source. Every validator runs through `policies.exceptions.guard`, which turns violations on
resources with an approved, unexpired exception into recorded exceptions, and sees its resources through
`policies.examined`, which records the resources whose properties it read (the control matrix's "evaluated").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from policies import examined, exceptions
from policies.lib import rendered

# preflight's hook: it drains, from the module that defines each policy's validate, the (policy, urn) pairs examined.
drain_examined = examined.drain_examined

FRAMEWORK_NAME = "SOC 2"
FRAMEWORK_VERSION = "2017 TSC (2022 points of focus)"

# Tiers, as a `tier:<name>` tag: what SOC 2 requires (mandatory by default), and logmesh's stricter baseline (advisory
# by default; logmesh's own policies/config/<env>.json raise it to mandatory).
SOC2 = "soc2"
BASELINE = "baseline"
TIER_TAG = "tier:"
# What a policy applies to, as an `applies-to:<what>` tag: every resource of its types, or only log stores and logging
# clusters (policies/lib/scope.py).
EVERY_RESOURCE = "every-resource"
LOG_STORES = "log-stores"
SCOPE_TAG = "applies-to:"


Report = Callable[..., None]
"""`report(message, urn=None)`: a violation; for stack policies pass the offending resource's URN."""


def framework(criteria: Sequence[str], anchors: str) -> PolicyComplianceFramework:
    return PolicyComplianceFramework(name=FRAMEWORK_NAME, version=FRAMEWORK_VERSION, reference=", ".join(criteria), specification=anchors)


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
    name: str,
    defaults: Mapping[str, Mapping[str, Any]],
    check: Callable[[_Args, Report, Check], None],
    args: _Args,
    report_violation: ReportViolation,
    default_urn: str | None,
) -> None:
    """Runs `check` with the policy's merged settings; its reports go through the exception guard."""
    config = args.get_config()
    report = exceptions.guard(name, config, report_violation, default_urn=default_urn)
    check(args, report, Check(settings_of(config, defaults)))


def _policy_fields(
    name: str,
    description: str,
    criteria: Sequence[str],
    anchors: str,
    severity: Severity,
    remediation: str,
    domain: str,
    defaults: Mapping[str, Mapping[str, Any]],
    enforcement_level: EnforcementLevel | None,
    tier: str,
    applies_to: str,
) -> dict[str, Any]:
    """The pulumi_policy fields every logmesh policy sets, resource or stack. A baseline policy is advisory unless it
    says otherwise; its tier and scope are tags."""
    if tier not in (SOC2, BASELINE) or applies_to not in (EVERY_RESOURCE, LOG_STORES):
        raise ValueError(f"{name}: tier {tier!r} / applies_to {applies_to!r} is not one of the pack's")
    if enforcement_level is None and tier == BASELINE:
        enforcement_level = EnforcementLevel.ADVISORY
    return {
        "name": name,
        "description": description,
        "enforcement_level": enforcement_level,
        "config_schema": _schema(defaults),
        "severity": severity,
        "framework": framework(criteria, anchors),
        "tags": [domain, TIER_TAG + tier, SCOPE_TAG + applies_to, *criteria],
        "remediation_steps": remediation,
    }


def tier_of(policy: Any) -> str:
    return next((t.removeprefix(TIER_TAG) for t in getattr(policy, "tags", None) or [] if t.startswith(TIER_TAG)), "")


def applies_to_of(policy: Any) -> str:
    return next((t.removeprefix(SCOPE_TAG) for t in getattr(policy, "tags", None) or [] if t.startswith(SCOPE_TAG)), "")


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
    tier: str = SOC2,
    applies_to: str = EVERY_RESOURCE,
) -> Callable[[ResourceCheck], ResourceValidationPolicy]:
    """Builds a ResourceValidationPolicy from a check function; `types` limits it to those resource types."""
    defaults = dict(settings or {})
    fields = _policy_fields(
        name, description, criteria, anchors, severity, remediation, domain, defaults, enforcement_level, tier, applies_to
    )

    def build(check: ResourceCheck) -> ResourceValidationPolicy:
        def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
            if types is None or args.resource_type in types:
                _run_guarded(name, defaults, check, examined.watch_resource(args, name), report_violation, default_urn=args.urn)
            # Under `pulumi preview --policy-pack`, what a Release renders: judged here, reported on the Release.
            for obj, obj_args in rendered.resource_args(args):
                if types is None or obj.type in types:
                    _run_guarded(
                        name,
                        defaults,
                        check,
                        examined.watch_resource(obj_args, name),
                        _on_release(report_violation, obj),
                        default_urn=obj.urn,
                    )

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
    tier: str = SOC2,
    applies_to: str = EVERY_RESOURCE,
) -> Callable[[StackCheck], StackValidationPolicy]:
    """Builds a StackValidationPolicy from a check function; its reports name the offending resource's URN."""
    defaults = dict(settings or {})
    fields = _policy_fields(
        name, description, criteria, anchors, severity, remediation, domain, defaults, enforcement_level, tier, applies_to
    )

    def build(check: StackCheck) -> StackValidationPolicy:
        def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
            objects = rendered.stack_resources(args)
            if objects:  # under `pulumi preview --policy-pack`: the stack with what its Releases render
                seen = StackValidationArgs([*args.resources, *(r for r, _ in objects.values())], args.get_config(), args.stack_tags)
                _run_guarded(
                    name, defaults, check, examined.watch_stack(seen, name), _on_releases(report_violation, objects), default_urn=None
                )
                return
            _run_guarded(name, defaults, check, examined.watch_stack(args, name), report_violation, default_urn=None)

        return StackValidationPolicy(validate=validate, **fields)

    return build


def _on_release(report_violation: ReportViolation, obj: rendered.Rendered) -> ReportViolation:
    """Reports on the Release being analyzed, naming the rendered object the violation is on."""

    def report(message: str, urn: str | None = None) -> None:
        report_violation(f"{obj.label()}: {message}", None)

    return report


def _on_releases(report_violation: ReportViolation, objects: Mapping[str, tuple[Any, rendered.Rendered]]) -> ReportViolation:
    """A stack policy's report on a rendered object goes to its Release, naming the object."""

    def report(message: str, urn: str | None = None) -> None:
        if urn is not None and urn in objects:
            resource, obj = objects[urn]
            report_violation(f"{obj.label()}: {message}", resource.parent.urn)
        else:
            report_violation(message, urn)

    return report


def days_setting(default: int, description: str, minimum: int = 1) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "maximum": 36500, "default": default, "description": description}


def bool_setting(default: bool, description: str) -> dict[str, Any]:
    return {"type": "boolean", "default": default, "description": description}


RETENTION_SETTINGS: dict[str, dict[str, Any]] = {
    "min_retention_days": days_setting(365, "Shortest allowed log retention in object storage, in days."),
    "max_retention_days": days_setting(2555, "Longest allowed log retention in object storage, in days (data minimisation)."),
}


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
