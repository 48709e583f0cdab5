from __future__ import annotations

from pulumi_policy import Severity, StackValidationArgs

from policies.framework import LOG_STORES, SOC2, Check, Report, stack_policy
from policies.lib.s3 import S3View
from policies.lib.scope import SCOPE_SETTINGS, log_stores


@stack_policy(
    name="s3-lifecycle-expiration",
    description="S3 buckets have an enabled lifecycle rule that expires objects (current or noncurrent versions).",
    criteria=("C1.1", "C1.2"),
    anchors="Steampipe s3_bucket_lifecycle_policy_enabled; AWS Config S3_LIFECYCLE_POLICY_CHECK",
    severity=Severity.MEDIUM,
    remediation="Add aws.s3.BucketLifecycleConfiguration with an enabled rule that has expiration days "
    "(and noncurrent_version_expiration on versioned buckets).",
    domain="storage",
    tier=SOC2,
    applies_to=LOG_STORES,
    settings=SCOPE_SETTINGS,
)
def s3_lifecycle_expiration(args: StackValidationArgs, report: Report, check: Check) -> None:
    """Rules that only abort incomplete multipart uploads do not count and are never a violation."""
    stores = log_stores(args.resources, check.settings)
    for bucket in S3View(args.resources).judged(stores):
        if not any(rule.enabled and rule.expires for rule in bucket.lifecycle):
            what = "no enabled lifecycle rule that expires objects" if bucket.has_lifecycle_config else "no lifecycle configuration"
            report(f"bucket {bucket.label} has {what}", bucket.urn)
