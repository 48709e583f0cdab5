"""LogBucket: a KMS key, a bucket and its encryption, versioning, public access block and ownership controls."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass
class LogBucketArgs:
    bucket_name: str
    encrypt_with_kms: bool = True
    versioning: bool = True


class LogBucket(pulumi.ComponentResource):
    bucket_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: LogBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("acme:storage:LogBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = aws.kms.Key(name, description=f"{name} logs", enable_key_rotation=True, deletion_window_in_days=30, opts=child)
        bucket = aws.s3.Bucket(name, bucket=args.bucket_name, opts=child)
        default = {"sse_algorithm": "aws:kms", "kms_master_key_id": key.arn} if args.encrypt_with_kms else {"sse_algorithm": "AES256"}
        aws.s3.BucketServerSideEncryptionConfiguration(
            name, bucket=bucket.id, rules=[{"apply_server_side_encryption_by_default": default}], opts=child
        )
        if args.versioning:
            aws.s3.BucketVersioning(name, bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=child)
        aws.s3.BucketPublicAccessBlock(
            name,
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(name, bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=child)
        self.bucket_arn = bucket.arn
        self.key_arn = key.arn
        self.register_outputs({"bucket_arn": self.bucket_arn, "key_arn": self.key_arn})
