from __future__ import annotations

from pulumi_policy import Severity, StackValidationArgs

from policies.framework import LOG_STORES, SOC2, Check, Report, stack_policy
from policies.lib.s3 import S3View
from policies.lib.scope import SCOPE_SETTINGS, log_stores


@stack_policy(
    name="s3-versioning-enabled",
    description="S3 buckets have versioning enabled, so overwritten or deleted log objects stay recoverable.",
    criteria=("A1.2", "C1.2", "CC7.4", "PI1.5"),
    anchors="Prowler s3_bucket_object_versioning; AWS Config S3_BUCKET_VERSIONING_ENABLED",
    severity=Severity.MEDIUM,
    remediation="Add aws.s3.BucketVersioning with versioning_configuration status 'Enabled'.",
    domain="storage",
    tier=SOC2,
    applies_to=LOG_STORES,
    settings=SCOPE_SETTINGS,
)
def s3_versioning_enabled(args: StackValidationArgs, report: Report, check: Check) -> None:
    stores = log_stores(args.resources, check.settings)
    for bucket in S3View(args.resources).judged(stores):
        if not any(bucket.versioning):
            report(f"bucket {bucket.label} does not have versioning enabled", bucket.urn)
