from __future__ import annotations

from pulumi_policy import Severity, StackValidationArgs

from policies.framework import Check, Report, stack_policy
from policies.lib.s3 import S3View


@stack_policy(
    name="s3-server-access-logging",
    description="S3 buckets log server access to another bucket.",
    criteria=("CC7.2", "CC7.3", "A1.2"),
    anchors="Prowler s3_bucket_server_access_logging_enabled; AWS Config S3_BUCKET_LOGGING_ENABLED",
    severity=Severity.MEDIUM,
    remediation="Add aws.s3.BucketLogging with target_bucket set to a separate access-log bucket (SSE-S3, no Object Lock).",
    domain="storage",
)
def s3_server_access_logging(args: StackValidationArgs, report: Report, check: Check) -> None:
    """A bucket that receives access logs need not log itself."""
    view = S3View(args.resources)
    for bucket in view.judged():
        if bucket.log_target:
            continue
        if not bucket.log_targets:
            report(f"bucket {bucket.label} has no server access logging", bucket.urn)
        for target_resource, target_name in bucket.log_targets:
            if (target_resource is not None and target_resource.urn == bucket.urn) or target_name in bucket.names:
                report(f"bucket {bucket.label} logs server access to itself", bucket.urn)
