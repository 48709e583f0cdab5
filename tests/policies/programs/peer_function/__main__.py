"""A Lambda function with its source bucket, as an application team writes it: inline bucket settings, a role whose
policy names its log group and the source objects, X-Ray on `*` (it has no resource-level permission). Meets SOC 2."""

import json

import pulumi
import pulumi_aws as aws

ACCOUNT = "123456789012"
source = aws.s3.Bucket(
    "fn-source",
    bucket="acme-fn-source",
    versioning={"enabled": True},
    logging={"target_bucket": "acme-central-access-logs", "target_prefix": "fn-source/"},
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:*",
                    "Resource": ["arn:aws:s3:::acme-fn-source", "arn:aws:s3:::acme-fn-source/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    ),
)
role = aws.iam.Role(
    "fn",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
        }
    ),
)
aws.iam.RolePolicy(
    "fn-runtime",
    role=role.id,
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/acme-fn:*",
                },
                {"Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": "*"},
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-fn-source/*"},
            ],
        }
    ),
)
aws.lambda_.Function(
    "fn",
    name="acme-fn",
    role=role.arn,
    runtime="python3.12",
    handler="app.handler",
    s3_bucket=source.id,
    s3_key="app.zip",
    tracing_config={"mode": "Active"},
    opts=pulumi.ResourceOptions(depends_on=[source]),
)
