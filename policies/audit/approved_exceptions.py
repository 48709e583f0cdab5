from __future__ import annotations

from pulumi_policy import EnforcementLevel, Severity, StackValidationArgs

from policies import exceptions
from policies.framework import Check, Report, stack_policy


@stack_policy(
    name="approved-exceptions",
    description="Advisory: lists every violation that an approved, unexpired exception (policy config `exceptions`) turned into "
    "an accepted risk, with reason, approver and expiry.",
    criteria=("CC3.2", "CC9.1"),
    anchors="logmesh (risk acceptance record)",
    severity=Severity.LOW,
    remediation="Fix the excepted resource before the exception expires, or renew the approval in the policy config.",
    domain="stack",
    enforcement_level=EnforcementLevel.ADVISORY,
)
def approved_exceptions(args: StackValidationArgs, report: Report, check: Check) -> None:
    """Must stay the pack's last policy: it reports the exceptions the other policies recorded during the same
    analysis."""
    for entry in exceptions.drain():
        report(exceptions.message_of(entry), entry["urn"])
