"""The peer programs' flaws, one resource each, named for the flaw: each must be caught by a mandatory finding on
that resource."""

import json

import pulumi_aws as aws

# A public website bucket: public access block turned off and a policy that lets anyone read.
public_site = aws.s3.Bucket("public-website", bucket="acme-public-www")
aws.s3.BucketLogging("public-website-logging", bucket=public_site.id, target_bucket="acme-central-access-logs", target_prefix="public-www/")
aws.s3.BucketPublicAccessBlock(
    "public-website-pab",
    bucket=public_site.id,
    block_public_acls=False,
    block_public_policy=False,
    ignore_public_acls=False,
    restrict_public_buckets=False,
)
aws.s3.BucketPolicy(
    "public-website-policy",
    bucket=public_site.id,
    policy=public_site.arn.apply(
        lambda arn: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{arn}/*"},
                    {
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [arn, f"{arn}/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                ],
            }
        )
    ),
)
# A function source bucket that accepts plain HTTP.
aws.s3.Bucket("no-tls", bucket="acme-no-tls", logging={"target_bucket": "acme-central-access-logs", "target_prefix": "no-tls/"})
role = aws.iam.Role(
    "app",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
        }
    ),
)
aws.iam.RolePolicy(
    "kms-star",
    role=role.id,
    policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}),
)
aws.iam.RolePolicyAttachment("admin", role=role.id, policy_arn="arn:aws:iam::aws:policy/AdministratorAccess")
