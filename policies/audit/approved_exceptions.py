from __future__ import annotations

from pulumi_policy import EnforcementLevel, Severity, StackValidationArgs

from policies import exceptions
from policies.framework import Check, Report, days_setting, stack_policy


@stack_policy(
    name="approved-exceptions",
    description="Advisory: lists every violation that an approved, unexpired exception (policy config `exceptions`) turned into "
    "an accepted risk, with reason, approver, expiry and days left, and every exception that names no resource of the stack "
    "or runs longer than max_exception_days.",
    criteria=("CC3.2", "CC9.1"),
    anchors="logmesh (risk acceptance record)",
    severity=Severity.LOW,
    remediation="Fix the excepted resource before the exception expires, or renew the approval in the policy config.",
    domain="stack",
    enforcement_level=EnforcementLevel.ADVISORY,
    settings={
        "max_exception_days": days_setting(
            exceptions.MAX_DAYS, f"Longest an approval may run, in days after today (at most {exceptions.MAX_DAYS})."
        )
        | {"maximum": exceptions.MAX_DAYS}
    },
)
def approved_exceptions(args: StackValidationArgs, report: Report, check: Check) -> None:
    """Must stay the pack's last policy: it reports the exceptions the other policies recorded during the same
    analysis. An exception naming no resource of the stack is reported on the stack (preflight refuses it)."""
    for entry in exceptions.drain():
        report(exceptions.message_of(entry), entry["urn"])
    urns = {r.urn for r in args.resources}
    names = {r.name for r in args.resources}
    limit = int(check.settings["max_exception_days"])
    for policy, entries in sorted(exceptions.drain_configured().items()):
        for index, approval in enumerate(entries):
            if approval.resource not in urns and approval.resource not in names:
                report(f"{policy}.exceptions[{index}] names {approval.resource}, which is not a resource of this stack")
            if approval.days_left() > limit:
                report(f"{policy}.exceptions[{index}] expires in {approval.days_left()} days, more than max_exception_days {limit}")
