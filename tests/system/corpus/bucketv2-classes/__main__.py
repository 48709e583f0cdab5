"""The deprecated BucketV2-era S3 classes (pulumi-aws 6): a bucket configured through its V2 side resources.
Flaw: the "public" bucket is encrypted with AES256 (no KMS) and gets a public-read ACL."""

import pulumi
import pulumi_aws as aws

key = aws.kms.Key("logs", description="logs", enable_key_rotation=True, deletion_window_in_days=30)
logs = aws.s3.BucketV2("logs", bucket="acme-v2-logs")
aws.s3.BucketServerSideEncryptionConfigurationV2(
    "logs",
    bucket=logs.id,
    rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": key.arn}}],
)
aws.s3.BucketVersioningV2("logs", bucket=logs.id, versioning_configuration={"status": "Enabled"})
aws.s3.BucketPublicAccessBlock(
    "logs", bucket=logs.id, block_public_acls=True, block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True
)
aws.s3.BucketOwnershipControls("logs", bucket=logs.id, rule={"object_ownership": "BucketOwnerEnforced"})

public = aws.s3.BucketV2("public", bucket="acme-v2-public")
aws.s3.BucketServerSideEncryptionConfigurationV2(
    "public", bucket=public.id, rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}]
)
aws.s3.BucketAclV2("public", bucket=public.id, acl="public-read")
aws.s3.BucketLoggingV2("public", bucket=public.id, target_bucket=logs.id, target_prefix="public/")
pulumi.export("logs_bucket", logs.bucket)
pulumi.export("public_bucket", public.bucket)
