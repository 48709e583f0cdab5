"""A marked log store locked in GOVERNANCE mode, and no policy of the stack allows s3:BypassGovernanceRetention."""

import pulumi_aws as aws

bucket = aws.s3.Bucket("governed", bucket="acme-governed-logs", object_lock_enabled=True, tags={"logmesh:log-store": "true"})
aws.s3.BucketObjectLockConfiguration("governed-lock", bucket=bucket.id, rule={"default_retention": {"mode": "GOVERNANCE", "days": 400}})
