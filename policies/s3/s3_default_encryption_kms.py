from __future__ import annotations

from pulumi_policy import Severity, StackValidationArgs

from policies.framework import BASELINE, LOG_STORES, Check, Deferred, Report, stack_policy
from policies.lib.s3 import S3View
from policies.lib.scope import SCOPE_SETTINGS, log_stores
from policies.lib.values import get

_KMS_ALGORITHMS: tuple[str, ...] = ("aws:kms", "aws:kms:dsse")


@stack_policy(
    name="s3-default-encryption-kms",
    description="Baseline: S3 log stores encrypt by default with SSE-KMS (aws:kms or aws:kms:dsse); SOC 2 encryption at rest is met "
    "by AWS's SSE-S3 default.",
    criteria=("CC6.1", "PI1.4"),
    anchors="Prowler s3_bucket_kms_encryption; AWS Config S3_DEFAULT_ENCRYPTION_KMS",
    severity=Severity.HIGH,
    remediation="Add aws.s3.BucketServerSideEncryptionConfiguration with sse_algorithm='aws:kms' and the store's KMS key.",
    domain="storage",
    tier=BASELINE,
    applies_to=LOG_STORES,
    settings=SCOPE_SETTINGS,
)
def s3_default_encryption_kms(args: StackValidationArgs, report: Report, check: Check) -> None:
    """A bucket that receives S3 server access logs may use SSE-S3 (AES256), as AWS documents for log targets."""
    deferred = Deferred()
    stores = log_stores(args.resources, check.settings)
    for bucket in S3View(args.resources).judged(stores):
        with deferred.each():
            algorithms = [get(default, "sseAlgorithm") for default, _r, _p in bucket.encryption]
            allowed = (*_KMS_ALGORITHMS, "AES256") if bucket.log_target else _KMS_ALGORITHMS
            if not algorithms:
                report(
                    f"bucket {bucket.label} has no default encryption configuration: AWS encrypts it with SSE-S3 (AES256), not aws:kms",
                    bucket.urn,
                )
            elif not all(a in allowed for a in algorithms):
                report(f"bucket {bucket.label} default encryption is {', '.join(map(str, algorithms))}, not aws:kms", bucket.urn)
    deferred.finish()
