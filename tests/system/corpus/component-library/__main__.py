"""A program built from a component library (acme_storage). Flaw: the "scratch" bucket is created with versioning
off and AES256 instead of KMS."""

import pulumi
from acme_storage import LogBucket, LogBucketArgs

audit = LogBucket("audit", LogBucketArgs(bucket_name="acme-audit-logs"))
scratch = LogBucket("scratch", LogBucketArgs(bucket_name="acme-scratch-logs", encrypt_with_kms=False, versioning=False))
pulumi.export("audit_bucket", audit.bucket_arn)
pulumi.export("scratch_bucket", scratch.bucket_arn)
