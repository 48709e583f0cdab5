from __future__ import annotations

from pulumi_policy import Severity, StackValidationArgs

from policies.framework import BASELINE, LOG_STORES, Check, Deferred, Report, stack_policy
from policies.lib.s3 import S3View
from policies.lib.scope import SCOPE_SETTINGS, log_stores
from policies.lib.values import deps, get, ids_of


@stack_policy(
    name="s3-sse-customer-managed-key",
    description="An S3 bucket's SSE-KMS key is a customer-managed KMS key of this stack (not the AWS-managed aws/s3 key).",
    criteria=("CC6.1", "C1.1"),
    anchors="logmesh (no public anchor)",
    severity=Severity.HIGH,
    remediation="Set kms_master_key_id to the ARN of the store's aws.kms.Key (created in this stack), not alias/aws/s3 or an empty id.",
    domain="storage",
    tier=BASELINE,
    applies_to=LOG_STORES,
    settings=SCOPE_SETTINGS,
)
def s3_sse_customer_managed_key(args: StackValidationArgs, report: Report, check: Check) -> None:
    view = S3View(args.resources)
    key_ids: set[str] = set()
    for key in view.keys:
        key_ids |= ids_of(key, "arn", "keyId", "id", "name", "targetKeyArn")
    key_urns = {k.urn for k in view.keys}
    deferred = Deferred()
    stores = log_stores(args.resources, check.settings)
    for bucket in view.judged(stores):
        with deferred.each():
            for default, carrier, prop in bucket.encryption:
                if get(default, "sseAlgorithm") not in ("aws:kms", "aws:kms:dsse"):
                    continue
                if any(d.urn in key_urns for d in deps(carrier, prop)):
                    continue
                key_id = get(default, "kmsMasterKeyId")
                if not key_id:
                    report(f"bucket {bucket.label} uses SSE-KMS without a key id: that is the AWS-managed aws/s3 key", bucket.urn)
                elif str(key_id) not in key_ids:
                    report(f"bucket {bucket.label} SSE-KMS key {key_id} is not a KMS key of this stack", bucket.urn)
    deferred.finish()
