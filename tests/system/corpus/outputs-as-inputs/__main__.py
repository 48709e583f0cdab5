"""Resources passed as inputs of others, their outputs exported: a key encrypts a bucket, a policy names the bucket's
ARN through get_policy_document_output, a role's ARN goes into a topic policy."""

import pulumi
import pulumi_aws as aws

key = aws.kms.Key("data", description="data", enable_key_rotation=True, deletion_window_in_days=30)
bucket = aws.s3.Bucket("data", bucket="acme-data-eu")
aws.s3.BucketServerSideEncryptionConfiguration(
    "data",
    bucket=bucket.id,
    rules=[
        {"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": key.arn}, "bucket_key_enabled": True}
    ],
)
aws.s3.BucketPublicAccessBlock(
    "data", bucket=bucket.id, block_public_acls=True, block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True
)
aws.s3.BucketVersioning("data", bucket=bucket.id, versioning_configuration={"status": "Enabled"})
tls_only = aws.iam.get_policy_document_output(
    statements=[
        {
            "sid": "DenyInsecureTransport",
            "effect": "Deny",
            "actions": ["s3:*"],
            "resources": [bucket.arn, bucket.arn.apply(lambda arn: f"{arn}/*")],
            "principals": [{"type": "*", "identifiers": ["*"]}],
            "conditions": [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}],
        }
    ]
)
aws.s3.BucketPolicy("data", bucket=bucket.id, policy=tls_only.json)
reader = aws.iam.Role(
    "reader",
    assume_role_policy=aws.iam.get_policy_document(
        statements=[{"actions": ["sts:AssumeRole"], "principals": [{"type": "Service", "identifiers": ["ec2.amazonaws.com"]}]}]
    ).json,
)
aws.iam.RolePolicy(
    "reader",
    role=reader.id,
    policy=aws.iam.get_policy_document_output(
        statements=[{"actions": ["s3:GetObject"], "resources": [bucket.arn.apply(lambda arn: f"{arn}/*")]}]
    ).json,
)
pulumi.export("bucket_arn", bucket.arn)
pulumi.export("bucket_domain", bucket.bucket_regional_domain_name)
pulumi.export("key_arn", key.arn)
pulumi.export("reader_arn", reader.arn)
