from __future__ import annotations

from pulumi_policy import Severity, StackValidationArgs

from policies.framework import Check, Report, days_setting, stack_policy
from policies.lib.s3 import S3View


@stack_policy(
    name="s3-object-lock-default-retention",
    description="S3 buckets holding logs have Object Lock with a default retention in the configured mode.",
    criteria=("PI1.5", "C1.1"),
    anchors="Prowler s3_bucket_object_lock; AWS Config S3_BUCKET_DEFAULT_LOCK_ENABLED",
    severity=Severity.HIGH,
    remediation="Create the bucket with object_lock_enabled=True and add aws.s3.BucketObjectLockConfiguration "
    "with a default_retention in the required mode (COMPLIANCE in prod).",
    domain="storage",
    settings={
        "object_lock_mode": {
            "type": "string",
            "enum": ["COMPLIANCE", "GOVERNANCE", "ANY"],
            "default": "COMPLIANCE",
            "description": "Required default retention mode (per environment).",
        },
        "min_lock_days": days_setting(1, "Shortest allowed default retention, in days."),
    },
)
def s3_object_lock_default_retention(args: StackValidationArgs, report: Report, check: Check) -> None:
    """Buckets that receive S3 server access logs are exempt: S3 cannot deliver access logs to a bucket with
    Object Lock."""
    mode, min_days = check.settings["object_lock_mode"], float(check.settings["min_lock_days"])
    for bucket in S3View(args.resources).buckets:
        if bucket.log_target:
            continue
        if not bucket.lock_enabled:
            report(f"bucket {bucket.label} does not have Object Lock enabled", bucket.urn)
        elif not bucket.lock_retention:
            report(f"bucket {bucket.label} has Object Lock but no default retention", bucket.urn)
        else:
            for actual, days in bucket.lock_retention:
                if mode != "ANY" and actual != mode:
                    report(f"bucket {bucket.label} default retention mode is {actual or 'unset'}, required {mode}", bucket.urn)
                if days < min_days:
                    report(f"bucket {bucket.label} default retention is {days:g} days, shorter than {min_days:g}", bucket.urn)
