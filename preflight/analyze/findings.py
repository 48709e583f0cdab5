"""The analyze stage's result: the findings of a run, the pack's policies as reports describe them, and the approved
exceptions the pack reports through its `approved-exceptions` policy."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi_policy
from pulumi_policy import EnforcementLevel, Policy

from preflight.analyze.pack import PolicyPackSpec

SOC2_CRITERION = re.compile(r"^(CC|A|C|PI|P)[0-9]+\.[0-9]+$")


def tier_of(policy: Policy | None) -> str:
    """The tier a policy declares as a `tier:<name>` tag (logmesh-soc2: `soc2` or `baseline`), or ""."""
    return next((t.removeprefix("tier:") for t in (getattr(policy, "tags", None) or []) if t.startswith("tier:")), "")


def criteria_of(policy: Policy) -> list[str]:
    """SOC 2 criteria a policy names: `framework.reference` ("CC6.1, CC6.7") plus criteria in its tags."""
    found: list[str] = []
    reference = policy.framework.reference if policy.framework is not None else None
    for word in re.split(r"[,\s]+", reference or "") + list(policy.tags or []):
        if SOC2_CRITERION.match(word) and word not in found:
            found.append(word)
    return found


@dataclass
class Approval:
    """Who excused a violation in the policy config, why, and until when."""

    reason: str
    approved_by: str
    expires: str
    days_left: int | None = None  # on the day of the run

    @property
    def expiry_label(self) -> str:
        return self.expires + (f" ({self.days_left} days left)" if self.days_left is not None else "")


@dataclass
class Finding:
    """One finding of one policy: a violation, or, with `approval`, an approved exception (the original policy's
    metadata plus its approval). The report stage adds where the resource is declared."""

    policy: str
    enforcement: str
    severity: str
    urn: str
    resource_type: str
    message: str
    soc2: list[str]
    remediation: str
    approval: Approval | None = None
    source_file: str = ""
    source_line: int = 0
    tier: str = ""  # the policy's tier: soc2 (what SOC 2 requires) or baseline (logmesh's stricter choice)


def days_until(date: str) -> int | None:
    """Days from today (UTC) to a YYYY-MM-DD date; None when it is not one."""
    try:
        return (datetime.date.fromisoformat(date) - datetime.datetime.now(datetime.UTC).date()).days
    except ValueError:
        return None


def approval_of(exception: Finding) -> Approval:
    """The approval of an approved exception (an entry of `Analysis.exceptions`, which always has one)."""
    if exception.approval is None:
        raise ValueError(f"{exception.policy} on {exception.urn or 'the stack'} is a violation, not an approved exception")
    return exception.approval


@dataclass
class PolicySummary:
    """A policy as reports describe it: SARIF rules, the summary count, remediation text."""

    name: str
    description: str
    enforcement: str  # as configured: mandatory, advisory or disabled
    severity: str
    soc2: list[str]
    remediation: str
    url: str
    stack_policy: bool
    tier: str = ""


@dataclass
class Analysis:
    """`violations` holds every diagnostic the servicer returned, in order; `findings` and `exceptions` split off the
    approved exceptions the pack reports through its `approved-exceptions` policy."""

    pack: PolicyPackSpec
    config: dict[str, dict[str, Any]]
    violations: list[Finding] = field(default_factory=list)
    config_source: str = ""  # the policy config file applied, or "" for the pack's defaults
    config_sha256: str = ""  # of that file's bytes
    # policy -> URNs whose properties it read (preflight.analyze.examined); None when the pack records nothing.
    examined: dict[str, list[str]] | None = None

    @property
    def mandatory(self) -> list[Finding]:
        return [v for v in self.violations if v.enforcement == "mandatory"]

    @property
    def advisory(self) -> list[Finding]:
        return [v for v in self.violations if v.enforcement == "advisory"]

    @property
    def scope(self) -> list[Finding]:
        """What the pack reported as in scope (logmesh-soc2's advisory `log-store-scope`: message "in scope: <why>")."""
        return [v for v in self.violations if is_scope_note(v)]

    def split(self) -> tuple[list[Finding], list[Finding]]:
        """(violations that stand, approved exceptions), each in the servicer's order; scope notes are neither."""
        findings: list[Finding] = []
        exceptions: list[Finding] = []
        by_name = {p.name: p for p in self.pack.policies}
        for diagnostic in self.violations:
            if is_scope_note(diagnostic):
                continue
            excused = (
                parse_exception(diagnostic, by_name, self.config, self.pack.enforcement_level)
                if diagnostic.policy == EXCEPTIONS_POLICY
                else None
            )
            if excused is None:
                findings.append(diagnostic)
            else:
                exceptions.append(excused)
        return findings, exceptions

    @property
    def findings(self) -> list[Finding]:
        return self.split()[0]

    @property
    def exceptions(self) -> list[Finding]:
        return self.split()[1]

    def policies(self) -> list[PolicySummary]:
        return [policy_summary(p, self.config.get(p.name), self.pack.enforcement_level) for p in self.pack.policies]


# The pack reports each approved exception as an advisory diagnostic of this policy whose message is
# EXCEPTION_PREFIX + json.dumps({"policy", "urn", "reason", "approved_by", "expires", "message"}, sort_keys=True).
EXCEPTIONS_POLICY = "approved-exceptions"
SCOPE_POLICY = "log-store-scope"
SCOPE_PREFIX = "in scope: "


def is_scope_note(finding: Finding) -> bool:
    return finding.policy == SCOPE_POLICY and finding.enforcement == "advisory" and finding.message.startswith(SCOPE_PREFIX)


EXCEPTION_PREFIX = "exception: "
_EXCEPTION_KEYS = {"policy", "urn", "reason", "approved_by", "expires", "message"}


def severity_name(policy: Policy | None) -> str:
    severity = getattr(policy, "severity", None)
    return str(severity.value) if severity is not None else "unspecified"


def _level_name(level: EnforcementLevel | None) -> str:
    return level.value if level is not None else "advisory"


def policy_summary(policy: Policy, configured: Mapping[str, Any] | None, pack_level: EnforcementLevel) -> PolicySummary:
    level = configured["enforcementLevel"] if configured else (policy.enforcement_level or pack_level)
    return PolicySummary(
        name=policy.name,
        description=policy.description,
        enforcement="mandatory" if level == EnforcementLevel.REMEDIATE else _level_name(level),
        severity=severity_name(policy),
        soc2=criteria_of(policy),
        remediation=policy.remediation_steps or "",
        url=policy.url or "",
        stack_policy=isinstance(policy, pulumi_policy.StackValidationPolicy),
        tier=tier_of(policy),
    )


def type_of_urn(urn: str) -> str:
    """The resource type a URN names (`urn:pulumi:<stack>::<project>::<parent types$>type::<name>`)."""
    parts = urn.split("::")
    return parts[2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""


def parse_exception(
    diagnostic: Finding,
    policies: Mapping[str, Policy],
    config: Mapping[str, Mapping[str, Any]],
    pack_level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> Finding | None:
    """The approved exception an `approved-exceptions` diagnostic carries, or None when its message is not one."""
    if not diagnostic.message.startswith(EXCEPTION_PREFIX):
        return None
    try:
        record = json.loads(diagnostic.message.removeprefix(EXCEPTION_PREFIX))
    except json.JSONDecodeError:
        return None
    if not isinstance(record, dict) or not set(record) >= _EXCEPTION_KEYS:
        return None
    policy = policies.get(str(record["policy"]))
    configured = config.get(str(record["policy"]))
    summary = policy_summary(policy, configured, pack_level) if policy is not None else None
    return Finding(
        policy=str(record["policy"]),
        enforcement=summary.enforcement if summary is not None else diagnostic.enforcement,
        severity=summary.severity if summary is not None else diagnostic.severity,
        urn=str(record["urn"]),
        resource_type=type_of_urn(str(record["urn"])) or diagnostic.resource_type,
        message=str(record["message"]),
        soc2=summary.soc2 if summary is not None else [],
        remediation=summary.remediation if summary is not None else "",
        tier=summary.tier if summary is not None else "",
        approval=Approval(
            reason=str(record["reason"]),
            approved_by=str(record["approved_by"]),
            expires=str(record["expires"]),
            days_left=record["days_left"] if isinstance(record.get("days_left"), int) else days_until(str(record["expires"])),
        ),
    )
