from __future__ import annotations

from pulumi_policy import Severity, StackValidationArgs

from policies.framework import LOG_STORES, SOC2, Check, Report, days_setting, stack_policy
from policies.lib.iam import bypass_grants
from policies.lib.s3 import S3View
from policies.lib.scope import SCOPE_SETTINGS, log_stores


@stack_policy(
    name="s3-object-lock-default-retention",
    description="S3 log stores have Object Lock with a default retention; GOVERNANCE mode only when no IAM or bucket policy of "
    "the stack allows s3:BypassGovernanceRetention (SOC 2); the mode setting can require COMPLIANCE (logmesh's baseline in prod).",
    criteria=("PI1.5", "C1.1"),
    anchors="Prowler s3_bucket_object_lock; AWS Config S3_BUCKET_DEFAULT_LOCK_ENABLED",
    severity=Severity.HIGH,
    remediation="Create the bucket with object_lock_enabled=True and add aws.s3.BucketObjectLockConfiguration "
    "with a default_retention in the required mode (COMPLIANCE in prod).",
    domain="storage",
    tier=SOC2,
    applies_to=LOG_STORES,
    settings={
        **SCOPE_SETTINGS,
        "object_lock_mode": {
            "type": "string",
            "enum": ["COMPLIANCE", "GOVERNANCE", "ANY"],
            "default": "ANY",
            "description": "Required default retention mode: ANY (SOC 2: either mode; GOVERNANCE without a bypass grant), "
            "GOVERNANCE or COMPLIANCE (logmesh's prod baseline).",
        },
        "min_lock_days": days_setting(1, "Shortest allowed default retention, in days."),
    },
)
def s3_object_lock_default_retention(args: StackValidationArgs, report: Report, check: Check) -> None:
    """Buckets that receive S3 server access logs are exempt: S3 cannot deliver access logs to a bucket with
    Object Lock."""
    mode, min_days = check.settings["object_lock_mode"], float(check.settings["min_lock_days"])
    stores = log_stores(args.resources, check.settings)
    for bucket in S3View(args.resources).judged(stores):
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
                elif actual == "GOVERNANCE" and (bypass := bypass_grants(args.resources)):
                    report(
                        f"bucket {bucket.label} default retention is GOVERNANCE and {', '.join(bypass)} may bypass it "
                        "(s3:BypassGovernanceRetention): deny that action, or use COMPLIANCE",
                        bucket.urn,
                    )
                if days < min_days:
                    report(f"bucket {bucket.label} default retention is {days:g} days, shorter than {min_days:g}", bucket.urn)
