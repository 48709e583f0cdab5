"""Exceptions with accountability: approved, expiring risk acceptances in a policy's configuration.

A policy's config entry may hold `exceptions: [{resource, reason, approved_by, expires}]`; `resource` is one
concrete resource, its exact URN or its resource name (no wildcards or patterns), `reason` and `approved_by` are
not blank, and `expires` is at most MAX_DAYS days ahead. A violation on that resource while the exception is
unexpired is not reported by that policy: it is recorded in `RECORDED`, and the pack's last policy
(`approved-exceptions`, advisory) reports each one, so every report lists the exceptions it relied on. From
the day after `expires` the violation is reported again, saying that the exception expired.

This works the same under the Pulumi CLI and preflight because both drive the same analyzer servicer in one
process: resource policies (Analyze) run before stack policies (AnalyzeStack), and approved-exceptions runs last.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema  # type: ignore[import-untyped]
from pulumi_policy import ReportViolation

SCHEMA: dict[str, Any] = {
    "type": "array",
    "default": [],
    "description": "Approved exceptions: a violation on a matching resource is reported as an exception until `expires`.",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["resource", "reason", "approved_by", "expires"],
        "properties": {
            "resource": {
                "type": "string",
                "pattern": r"^[^*?\[\]\s]+$",
                "description": "one resource of the stack: its exact URN or its resource name (no wildcards)",
            },
            "reason": {"type": "string", "pattern": r"\S", "description": "why the risk is accepted"},
            "approved_by": {"type": "string", "pattern": r"\S", "description": "the approver's identity (e-mail or user)"},
            "expires": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "format": "date"},
        },
    },
}
# Built once: every policy's guard validates its exceptions on every check it runs.
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())

MESSAGE_PREFIX = "exception: "
# The longest an approval may run (days after today): one annual review. approved-exceptions' `max_exception_days`
# narrows it; preflight refuses a config whose entries run longer than that setting.
MAX_DAYS = 365

# Violations excepted so far in this analysis, drained by the approved-exceptions policy.
RECORDED: list[dict[str, Any]] = []
# Every policy's parsed exceptions, by policy, so approved-exceptions can check that each names a resource of the stack.
CONFIGURED: dict[str, list[ApprovedException]] = {}


class PolicyConfigError(ValueError):
    """A malformed exceptions entry: names the policy, the entry and the fix."""


@dataclass(frozen=True)
class ApprovedException:
    resource: str
    reason: str
    approved_by: str
    expires: datetime.date

    def matches(self, urn: str) -> bool:
        return self.resource in (urn, urn.rsplit("::", 1)[-1])

    def days_left(self, on: datetime.date | None = None) -> int:
        return (self.expires - (on or today())).days


def parse(policy: str, raw: Any, max_days: int = MAX_DAYS) -> list[ApprovedException]:
    """The validated exceptions of one policy's configuration: a concrete resource, non-blank reason and approver,
    a real date at most `max_days` ahead (an expired entry stays valid: its violation is reported as expired)."""
    if raw is None:
        return []
    entries = json.loads(json.dumps(raw, default=lambda v: dict(v) if isinstance(v, Mapping) else list(v)))
    problems = sorted(_VALIDATOR.iter_errors(entries), key=lambda e: list(e.absolute_path))
    if problems:
        lines = [f"{policy}.exceptions{''.join(f'[{p}]' for p in e.absolute_path)}: {e.message}" for e in problems]
        raise PolicyConfigError(
            "invalid policy exceptions (each needs resource, reason, approved_by and expires YYYY-MM-DD):\n  " + "\n  ".join(lines)
        )
    parsed = [ApprovedException(e["resource"], e["reason"], e["approved_by"], datetime.date.fromisoformat(e["expires"])) for e in entries]
    too_long = [(i, e) for i, e in enumerate(parsed) if e.days_left() > max_days]
    if too_long:
        index, entry = too_long[0]
        raise PolicyConfigError(
            f"invalid policy exceptions: {policy}.exceptions[{index}].expires {entry.expires.isoformat()} is {entry.days_left()} days "
            f"ahead; an approval runs at most {max_days} days: renew it when it expires"
        )
    return parsed


def today() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()


def guard(policy: str, config: Mapping[str, Any], report_violation: ReportViolation, default_urn: str | None) -> Callable[..., None]:
    """A `report(message, urn=None)` that applies the policy's exceptions before reporting."""
    approved = parse(policy, config.get("exceptions"))
    CONFIGURED[policy] = approved

    def report(message: str, urn: str | None = None) -> None:
        target = urn or default_urn or ""
        # A renewed entry next to its expired predecessor: the latest expiry decides.
        match = max((e for e in approved if target and e.matches(target)), key=lambda e: e.expires, default=None)
        if match is None:
            report_violation(message, urn)
            return
        if match.expires < today():
            report_violation(f"{message} (the exception approved by {match.approved_by} expired on {match.expires.isoformat()})", urn)
            return
        entry = {
            "policy": policy,
            "urn": target,
            "reason": match.reason,
            "approved_by": match.approved_by,
            "expires": match.expires.isoformat(),
            "days_left": match.days_left(),
            "message": message,
        }
        if entry not in RECORDED:
            RECORDED.append(entry)

    return report


def drain() -> list[dict[str, Any]]:
    taken = list(RECORDED)
    RECORDED.clear()
    return taken


def drain_configured() -> dict[str, list[ApprovedException]]:
    taken = dict(CONFIGURED)
    CONFIGURED.clear()
    return taken


def message_of(entry: Mapping[str, Any]) -> str:
    return MESSAGE_PREFIX + json.dumps(dict(entry), sort_keys=True)
