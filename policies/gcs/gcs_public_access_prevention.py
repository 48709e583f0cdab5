from __future__ import annotations

from pulumi_policy import Severity, StackValidationArgs

from policies.framework import Check, Deferred, Report, stack_policy
from policies.lib.iam import PUBLIC_MEMBERS, iam_grants
from policies.lib.types import GCS_BUCKET
from policies.lib.values import get


@stack_policy(
    name="gcs-public-access-prevention",
    description="GCS buckets enforce public access prevention, and no bucket IAM or ACL grants allUsers or allAuthenticatedUsers.",
    criteria=("CC6.1",),
    anchors="Prowler cloudstorage_bucket_public_access",
    severity=Severity.CRITICAL,
    remediation="Set public_access_prevention='enforced' and remove allUsers/allAuthenticatedUsers members.",
    domain="storage",
)
def gcs_public_access_prevention(args: StackValidationArgs, report: Report, check: Check) -> None:
    deferred = Deferred()
    for r in args.resources:
        with deferred.each():
            if r.resource_type == GCS_BUCKET:
                if get(r.props, "publicAccessPrevention") != "enforced":
                    report(f"GCS bucket {get(r.props, 'name') or r.name} does not enforce public access prevention", r.urn)
            elif r.resource_type.startswith("gcp:storage/bucketIAM"):
                public = sorted({m for _role, members in iam_grants(r) for m in members if m in PUBLIC_MEMBERS})
                if public:
                    report(f"{r.name} grants bucket access to {', '.join(public)}", r.urn)
            elif (
                r.resource_type
                in (
                    "gcp:storage/bucketAccessControl:BucketAccessControl",
                    "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl",
                    "gcp:storage/objectAccessControl:ObjectAccessControl",
                )
                and get(r.props, "entity") in PUBLIC_MEMBERS
            ):
                report(f"{r.name} grants {get(r.props, 'entity')} an ACL", r.urn)
    deferred.finish()
