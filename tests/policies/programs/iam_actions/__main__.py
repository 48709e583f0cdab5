"""IAM policies as application teams write them: actions that AWS authorizes only on `*` (no resource-level
permission) are fine there; actions that can be scoped to a resource, `service:*`, `*` and NotAction/NotResource
allows are not. Named for what each grants."""

import json

import pulumi_aws as aws

role = aws.iam.Role(
    "app",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
        }
    ),
)


def policy(name: str, *statements: dict) -> None:
    aws.iam.RolePolicy(name, role=role.id, policy=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))


# Fine: no resource-level permissions exist for these, so AWS authorizes them on "*" only.
policy("describe-and-identity", {"Effect": "Allow", "Action": ["ec2:DescribeInstances", "sts:GetCallerIdentity"], "Resource": "*"})
policy("describe-wildcard", {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"})
policy("xray-put", {"Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": "*"})
# Fine: scoped actions on a named resource; a Deny on "*" restricts.
policy(
    "logs-scoped",
    {
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/app:*",
    },
    {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
)

# Flawed.
policy("scoped-action-on-star", {"Effect": "Allow", "Action": "ec2:TerminateInstances", "Resource": "*"})
policy("wildcard-expands-to-scoped", {"Effect": "Allow", "Action": "dynamodb:Get*", "Resource": "*"})
policy("kms-everything", {"Effect": "Allow", "Action": "kms:*", "Resource": "*"})
policy("not-action", {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
policy("not-resource", {"Effect": "Allow", "Action": "sqs:SendMessage", "NotResource": "arn:aws:sqs:us-east-1:123456789012:private"})
policy("admin", {"Effect": "Allow", "Action": "*", "Resource": "*"})
