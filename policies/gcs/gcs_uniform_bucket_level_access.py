from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from policies.framework import Check, Report, resource_policy
from policies.lib.types import GCS_BUCKET
from policies.lib.values import get, truthy


@resource_policy(
    name="gcs-uniform-bucket-level-access",
    description="GCS buckets use uniform bucket-level access (no object ACLs).",
    criteria=("PI1.4", "CC6.1"),
    anchors="Prowler cloudstorage_bucket_uniform_bucket_level_access",
    severity=Severity.MEDIUM,
    remediation="Set uniform_bucket_level_access=True on the gcp.storage.Bucket.",
    domain="storage",
    types=(GCS_BUCKET,),
)
def gcs_uniform_bucket_level_access(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    if not truthy(get(args.props, "uniformBucketLevelAccess")):
        report("uniform_bucket_level_access is not enabled")
