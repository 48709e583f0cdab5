from __future__ import annotations

from pulumi_policy import Severity, StackValidationArgs

from policies.framework import Check, Report, stack_policy
from policies.lib.s3 import S3View

PUBLIC_CANNED_ACLS = {"public-read", "public-read-write", "authenticated-read"}
PUBLIC_GRANTEES = ("http://acs.amazonaws.com/groups/global/AllUsers", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")


@stack_policy(
    name="s3-acls-disabled",
    description="S3 buckets keep ACLs disabled (object ownership BucketOwnerEnforced, AWS's default for a new bucket since "
    "April 2023) and carry no public ACL or grant.",
    criteria=("CC6.1",),
    anchors="Prowler s3_bucket_acl_prohibited; AWS Config S3_BUCKET_ACL_PROHIBITED",
    severity=Severity.HIGH,
    remediation="Add aws.s3.BucketOwnershipControls with object_ownership 'BucketOwnerEnforced' and remove public ACLs/grants.",
    domain="storage",
)
def s3_acls_disabled(args: StackValidationArgs, report: Report, check: Check) -> None:
    for bucket in S3View(args.resources).judged():
        # No BucketOwnershipControls: AWS's default for a new bucket is BucketOwnerEnforced (since April 2023).
        lax = sorted({o for o in bucket.ownership if o != "BucketOwnerEnforced"})
        if lax:
            report(
                f"bucket {bucket.label} sets object ownership {', '.join(lax)}, which enables ACLs (AWS's default is BucketOwnerEnforced)",
                bucket.urn,
            )
        public = sorted({a for a in bucket.acls if a in PUBLIC_CANNED_ACLS} | {u for u in bucket.grant_uris if u in PUBLIC_GRANTEES})
        if public:
            report(f"bucket {bucket.label} has a public ACL: {', '.join(public)}", bucket.urn)
