from __future__ import annotations

from pulumi_policy import EnforcementLevel, Severity, StackValidationArgs

from policies.framework import LOG_STORES, Check, Report, stack_policy
from policies.lib.scope import BUCKET_TYPES, SCOPE_PREFIX, SCOPE_SETTINGS, log_stores


@stack_policy(
    name="log-store-scope",
    description="Advisory: lists the log stores the log-store controls judge (built by logmesh, marked, or written to by a "
    "log pipeline), each with why; preflight shows them as the report's scope, not as violations.",
    criteria=("CC3.2",),
    anchors="logmesh (system description: what is in scope)",
    severity=Severity.LOW,
    remediation="Mark a log store the inference misses (tag logmesh:log-store=true, label logmesh-log-store=true) or widen "
    "a policy's `scope`; list a bucket that holds no logs in `not_log_stores`.",
    domain="stack",
    enforcement_level=EnforcementLevel.ADVISORY,
    applies_to=LOG_STORES,
    settings=SCOPE_SETTINGS,
)
def log_store_scope(args: StackValidationArgs, report: Report, check: Check) -> None:
    for bucket in (r for r in args.resources if r.resource_type in BUCKET_TYPES):
        bucket.props  # noqa: B018 -- each bucket judged in or out of scope is what this control examined
    for urn, reason in sorted(log_stores(args.resources, check.settings).items()):
        report(f"{SCOPE_PREFIX}{reason}", urn)
