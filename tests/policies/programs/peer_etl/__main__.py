"""An ETL job with its script bucket and a data bucket, as a data team writes it: separate bucket resources, a Glue
role scoped to its buckets, catalog and log group. Meets SOC 2."""

import json

import pulumi
import pulumi_aws as aws

ACCOUNT = "123456789012"
REGION = "us-east-1"


def bucket(name: str) -> aws.s3.Bucket:
    b = aws.s3.Bucket(name, bucket=f"acme-{name}")
    aws.s3.BucketLogging(f"{name}-logging", bucket=b.id, target_bucket="acme-central-access-logs", target_prefix=f"{name}/")
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-sse", bucket=b.id, rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}]
    )
    aws.s3.BucketPublicAccessBlock(
        f"{name}-pab", bucket=b.id, block_public_acls=True, block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True
    )
    aws.s3.BucketPolicy(
        f"{name}-policy",
        bucket=b.id,
        policy=b.arn.apply(
            lambda arn: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [arn, f"{arn}/*"],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                }
            )
        ),
    )
    return b


scripts = bucket("etl-scripts")
data = bucket("etl-data")
role = aws.iam.Role(
    "etl",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}],
        }
    ),
)
catalog = f"arn:aws:glue:{REGION}:{ACCOUNT}"
aws.iam.RolePolicy(
    "etl-access",
    role=role.id,
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-etl-scripts/*"},
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::acme-etl-data/*"},
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::acme-etl-data"},
                {
                    "Effect": "Allow",
                    "Action": ["glue:GetTable", "glue:GetDatabase", "glue:UpdateTable"],
                    "Resource": [f"{catalog}:catalog", f"{catalog}:database/sales", f"{catalog}:table/sales/*"],
                },
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws-glue/jobs/*",
                },
            ],
        }
    ),
)
aws.glue.Job(
    "nightly",
    role_arn=role.arn,
    command={"script_location": scripts.bucket.apply(lambda b: f"s3://{b}/nightly.py"), "python_version": "3"},
    glue_version="4.0",
    opts=pulumi.ResourceOptions(depends_on=[data]),
)
