"""A static website as a web team writes it (not a log platform): a bucket behind CloudFront with origin access
control, access logs to the organisation's central log bucket (another stack), settings AWS applies by default left
unset (SSE-S3, Block Public Access, BucketOwnerEnforced). Meets SOC 2: no mandatory finding."""

import json

import pulumi
import pulumi_aws as aws

ACCOUNT = "123456789012"
site = aws.s3.Bucket("site", bucket="acme-www")
aws.s3.BucketLogging("site-logging", bucket=site.id, target_bucket="acme-central-access-logs", target_prefix="www/")
oac = aws.cloudfront.OriginAccessControl(
    "site-oac", origin_access_control_origin_type="s3", signing_behavior="always", signing_protocol="sigv4"
)
cdn = aws.cloudfront.Distribution(
    "site-cdn",
    enabled=True,
    default_root_object="index.html",
    origins=[{"domain_name": site.bucket_regional_domain_name, "origin_id": "s3", "origin_access_control_id": oac.id}],
    default_cache_behavior={
        "target_origin_id": "s3",
        "viewer_protocol_policy": "redirect-to-https",
        "allowed_methods": ["GET", "HEAD"],
        "cached_methods": ["GET", "HEAD"],
        "cache_policy_id": "658327ea-f89d-4fab-a63d-7e88639e58f6",
    },
    restrictions={"geo_restriction": {"restriction_type": "none"}},
    viewer_certificate={"cloudfront_default_certificate": True},
)
aws.s3.BucketPolicy(
    "site-policy",
    bucket=site.id,
    policy=pulumi.Output.all(site.arn, cdn.arn).apply(
        lambda a: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "CloudFrontReads",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudfront.amazonaws.com"},
                        "Action": "s3:GetObject",
                        "Resource": f"{a[0]}/*",
                        "Condition": {"StringEquals": {"AWS:SourceArn": a[1]}},
                    },
                    {
                        "Sid": "TlsOnly",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [a[0], f"{a[0]}/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                ],
            }
        )
    ),
)
