from __future__ import annotations

from pulumi_policy import Severity, StackValidationArgs

from policies.framework import LOG_STORES, RETENTION_SETTINGS, SOC2, Check, Report, stack_policy
from policies.lib.s3 import LifecycleRule, S3Bucket, S3View
from policies.lib.scope import SCOPE_SETTINGS, log_stores


@stack_policy(
    name="s3-retention-within-bounds",
    description="S3 buckets keep every object version at least min_retention_days and at most max_retention_days.",
    criteria=("C1.2", "CC7.2"),
    anchors="Prowler cloudwatch_log_group_retention_policy_specific_days_enabled (min); logmesh (max, object lock)",
    severity=Severity.MEDIUM,
    remediation="Set every current-object expiration to at least the minimum, or add an Object Lock default retention of "
    "at least the minimum (or, in a versioned bucket, a noncurrent_version_expiration that keeps the expired "
    "version to the minimum); keep expiration + noncurrent_version_expiration and the lock retention within the maximum.",
    domain="storage",
    tier=SOC2,
    applies_to=LOG_STORES,
    settings={**RETENTION_SETTINGS, **SCOPE_SETTINGS},
)
def s3_retention_within_bounds(args: StackValidationArgs, report: Report, check: Check) -> None:
    """The minimum holds for each lifecycle expiration of current objects when the expiration is at least
    min_retention_days, or the Object Lock default retention is (the lock keeps every version that long,
    whatever deletes it: a client, the backend or a lifecycle rule), or, in a versioned bucket, the expiration
    plus the noncurrent-version expiration covering its prefix is (an expiration there only adds a delete
    marker; the version stays, noncurrent, that much longer). The longest lifetime, current expiration plus
    noncurrent-version expiration, and the Object Lock default retention are at most max_retention_days."""
    low, high = float(check.settings["min_retention_days"]), float(check.settings["max_retention_days"])
    stores = log_stores(args.resources, check.settings)
    for bucket in S3View(args.resources).judged(stores):
        rules = [r for r in bucket.lifecycle if r.enabled and r.expires]
        current = [(r, r.expiration_days) for r in rules if r.expiration_days is not None]
        # Lifecycle actions, like every delete, wait for a version's object-lock retention to end.
        locked_days = min((days for _mode, days in bucket.lock_retention), default=0.0)
        for rule, days in current:
            kept = days + _noncurrent_tail(bucket, rule, rules)
            if days < low and locked_days < low and kept < low:
                where = f"prefix '{rule.prefix}'" if rule.prefix else "the whole bucket"
                lock = f"object-lock retention {locked_days:g} days" if bucket.lock_retention else "no object-lock retention"
                report(
                    f"bucket {bucket.label}: objects under {where} expire after {days:g} days and are kept {kept:g} days "
                    f"in all ({lock}), below the minimum {low:g}",
                    bucket.urn,
                )
        longest_current = max((d for _r, d in current), default=0.0)
        longest_noncurrent = max((r.noncurrent_days for r in rules if r.noncurrent_days is not None), default=0.0)
        lifetime = longest_current + longest_noncurrent
        if lifetime > high:
            report(
                f"bucket {bucket.label}: objects may be kept {lifetime:g} days (expiration {longest_current:g} + noncurrent "
                f"{longest_noncurrent:g}), above the maximum {high:g}",
                bucket.urn,
            )
        for _mode, lock_days in bucket.lock_retention:
            if lock_days > high:
                report(
                    f"bucket {bucket.label}: object-lock retention {lock_days:g} days keeps every version above the maximum {high:g}",
                    bucket.urn,
                )


def _noncurrent_tail(bucket: S3Bucket, expiring: LifecycleRule, rules: list[LifecycleRule]) -> float:
    """Days the version an expiration of `expiring` leaves behind stays noncurrent: the shortest noncurrent-version
    expiration of a rule covering all of its prefix; none without versioning, where an expiration deletes."""
    if not any(bucket.versioning):
        return 0.0
    tails = [r.noncurrent_days for r in rules if r.noncurrent_days is not None and expiring.prefix.startswith(r.prefix)]
    return min(tails, default=0.0)
