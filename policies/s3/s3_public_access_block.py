from __future__ import annotations

from pulumi_policy import Severity, StackValidationArgs

from policies.framework import Check, Deferred, Report, stack_policy
from policies.lib.s3 import S3View
from policies.lib.values import get, truthy

_PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


@stack_policy(
    name="s3-public-access-block",
    description="S3 buckets block public access: no public access block turns a flag off (AWS blocks all four on a bucket "
    "the program leaves unconfigured, since April 2023).",
    criteria=("CC6.1", "CC6.6"),
    anchors="Prowler s3_bucket_level_public_access_block; AWS Config S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED",
    severity=Severity.CRITICAL,
    remediation="Add aws.s3.BucketPublicAccessBlock with block_public_acls, block_public_policy, ignore_public_acls "
    "and restrict_public_buckets all True.",
    domain="storage",
)
def s3_public_access_block(args: StackValidationArgs, report: Report, check: Check) -> None:
    deferred = Deferred()
    for bucket in S3View(args.resources).judged():
        with deferred.each():
            # No BucketPublicAccessBlock: AWS applies all four flags to every new bucket (since April 2023).
            off = sorted({f for pab in bucket.public_access_blocks for f in _PAB_FLAGS if not truthy(get(pab, f))})
            if off:
                report(
                    f"bucket {bucket.label} public access block turns off {', '.join(off)} (AWS's default for a new bucket is all four on)",
                    bucket.urn,
                )
    deferred.finish()
