"""AWS resources with one flaw each, named for the flaw. `store()` builds a compliant bucket and lets a caller
change or drop exactly one of its settings, so each policy's verdict can be asserted bucket by bucket."""

import json
from typing import Any

import pulumi
import pulumi_aws as aws

ACCOUNT = "123456789012"
ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/ABCDEF0123456789"
OMIT = object()
LOG_STORE = {"logmesh:log-store": "true"}  # marks a log store: the log-store controls judge it (policies/lib/scope.py)

key = aws.kms.Key("store-key", enable_key_rotation=True)
access_logs = aws.s3.Bucket("access-logs", bucket="bad-access-logs", opts=pulumi.ResourceOptions(protect=True))
aws.s3.BucketServerSideEncryptionConfiguration(
    "access-logs-sse", bucket=access_logs.id, rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}]
)
covered: list[pulumi.Output[str]] = []


def store(
    name: str,
    *,
    sse: Any = None,
    versioning: str = "Enabled",
    lock: Any = None,
    lifecycle: Any = None,
    pab: Any = None,
    ownership: str | object = "BucketOwnerEnforced",
    deny_tls: bool = True,
    log_to: Any = None,
    acl: str | None = None,
    protect: bool = True,
    force_destroy: bool = False,
) -> aws.s3.Bucket:
    bucket = aws.s3.Bucket(
        name,
        bucket=f"bad-{name}",
        object_lock_enabled=lock is not OMIT,
        acl=acl,
        force_destroy=force_destroy,
        tags=LOG_STORE,
        opts=pulumi.ResourceOptions(protect=protect),
    )
    covered.append(bucket.arn)
    default = {"sse_algorithm": "aws:kms", "kms_master_key_id": key.arn} if sse is None else sse
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-sse", bucket=bucket.id, rules=[{"apply_server_side_encryption_by_default": default}]
    )
    aws.s3.BucketVersioning(f"{name}-versioning", bucket=bucket.id, versioning_configuration={"status": versioning})
    if lock is not OMIT:
        aws.s3.BucketObjectLockConfiguration(
            f"{name}-lock", bucket=bucket.id, rule={"default_retention": lock or {"mode": "COMPLIANCE", "days": 365}}
        )
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle",
        bucket=bucket.id,
        rules=lifecycle or [{"id": "expire", "status": "Enabled", "filter": {"prefix": "fake/"}, "expiration": {"days": 400}}],
    )
    flags = {"block_public_acls": True, "block_public_policy": True, "ignore_public_acls": True, "restrict_public_buckets": True}
    aws.s3.BucketPublicAccessBlock(f"{name}-pab", bucket=bucket.id, **{**flags, **(pab or {})})
    if ownership is not OMIT:
        aws.s3.BucketOwnershipControls(f"{name}-owner", bucket=bucket.id, rule={"object_ownership": ownership})
    statement = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    if not deny_tls:
        statement = {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket"}
    aws.s3.BucketPolicy(
        f"{name}-policy",
        bucket=bucket.id,
        policy=bucket.arn.apply(
            lambda arn: json.dumps({"Version": "2012-10-17", "Statement": [{**statement, "Resource": [arn, f"{arn}/*"]}]})
        ),
    )
    aws.s3.BucketLogging(
        f"{name}-logging", bucket=bucket.id, target_bucket=log_to if log_to is not None else access_logs.id, target_prefix=f"{name}/"
    )
    return bucket


bare = aws.s3.Bucket("bare", bucket="bad-bare", tags=LOG_STORE)
store("compliant")
store("sse-s3", sse={"sse_algorithm": "AES256"})
store("sse-aws-managed-key", sse={"sse_algorithm": "aws:kms"})
store("sse-foreign-key", sse={"sse_algorithm": "aws:kms", "kms_master_key_id": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/0000-elsewhere"})
store("versioning-suspended", versioning="Suspended")
store("lock-governance", lock={"mode": "GOVERNANCE", "days": 365})
store("no-object-lock", lock=OMIT)
store(
    "lifecycle-abort-only",
    lifecycle=[{"id": "abort", "status": "Enabled", "filter": {}, "abort_incomplete_multipart_upload": {"days_after_initiation": 7}}],
)
short_expiry = [{"id": "e", "status": "Enabled", "filter": {"prefix": "x/"}, "expiration": {"days": 30}}]
# Expiring early without a lock (also flagged by s3-object-lock-default-retention: no lock is its flaw there).
store("retention-too-short", lock=OMIT, lifecycle=short_expiry)
store("lock-and-expiry-too-short", lock={"mode": "COMPLIANCE", "days": 30}, lifecycle=short_expiry)
store("retention-too-long", lifecycle=[{"id": "e", "status": "Enabled", "filter": {"prefix": "x/"}, "expiration": {"days": 5000}}])
store("lock-too-long", lock={"mode": "COMPLIANCE", "days": 3000})
# Not flaws: a short expiration is only the backstop when the lock (365 days) keeps every version the minimum, or
# when, in a versioned bucket, the expired version stays noncurrent long enough.
store(
    "short-expiry-under-lock",
    lifecycle=[
        {
            "id": "e",
            "status": "Enabled",
            "filter": {"prefix": "x/"},
            "expiration": {"days": 31},
            "noncurrent_version_expiration": {"noncurrent_days": 1},
        }
    ],
)
store(
    "short-expiry-long-noncurrent",
    lock={"mode": "COMPLIANCE", "days": 30},
    lifecycle=[
        {"id": "e", "status": "Enabled", "filter": {"prefix": "x/"}, "expiration": {"days": 31}},
        {"id": "n", "status": "Enabled", "filter": {}, "noncurrent_version_expiration": {"noncurrent_days": 334}},
    ],
)
# Unversioned: the expiration deletes, so the noncurrent rule keeps nothing.
store(
    "unversioned-short-expiry",
    versioning="Suspended",
    lock={"mode": "COMPLIANCE", "days": 30},
    lifecycle=[
        {
            "id": "e",
            "status": "Enabled",
            "filter": {"prefix": "x/"},
            "expiration": {"days": 31},
            "noncurrent_version_expiration": {"noncurrent_days": 334},
        }
    ],
)
store("pab-partial", pab={"restrict_public_buckets": False})
store("no-tls-deny", deny_tls=False)
store("logs-to-itself", log_to="bad-logs-to-itself")
store("public-acl", acl="public-read")
store("acls-enabled", ownership="BucketOwnerPreferred")
store("force-destroy", force_destroy=True)
store("unprotected", protect=False)

aws.kms.Key("key-no-rotation", enable_key_rotation=False)
aws.kms.Key(
    "key-public-policy",
    enable_key_rotation=True,
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}],
        }
    ),
)
aws.kms.Key(
    "key-star-via-service-only",
    enable_key_rotation=True,
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AnyAccountThroughS3",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
                }
            ],
        }
    ),
)
aws.kms.Key(
    "key-service-principal-with-source-account",
    enable_key_rotation=True,
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Root",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "Logs",
                    "Effect": "Allow",
                    "Principal": {"Service": "logs.amazonaws.com"},
                    "Action": "kms:Encrypt*",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
                },
            ],
        }
    ),
)
aws.kms.Key(
    "key-admin-also-uses",
    enable_key_rotation=True,
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Root",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "OpsAdminister",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/ops"},
                    "Action": ["kms:Put*", "kms:ScheduleKeyDeletion"],
                    "Resource": "*",
                },
                {
                    "Sid": "OpsUse",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/ops"},
                    "Action": ["kms:Decrypt"],
                    "Resource": "*",
                },
            ],
        }
    ),
)
aws.kms.Key("key-short-window", enable_key_rotation=True, deletion_window_in_days=7)
aws.kms.Key("key-long-rotation", enable_key_rotation=True, rotation_period_in_days=730)

role = aws.iam.Role(
    "irsa-wildcard-subject",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER}"},
                    "Condition": {"StringLike": {f"{ISSUER}:sub": "system:serviceaccount:*:*"}},
                }
            ],
        }
    ),
)
aws.iam.Role(
    "irsa-no-condition",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER}"},
                }
            ],
        }
    ),
)
aws.iam.RolePolicy(
    "policy-star",
    role=role.id,
    policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
)
aws.iam.RolePolicy(
    "policy-foreign-bucket",
    role=role.id,
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::someone-elses-bucket/*"}],
        }
    ),
)
aws.iam.RolePolicyAttachment("admin-attached", role=role.id, policy_arn="arn:aws:iam::aws:policy/AdministratorAccess")

aws.cloudtrail.Trail(
    "partial-trail",
    s3_bucket_name="bad-trail-bucket",
    event_selectors=[
        {
            "read_write_type": "All",
            "data_resources": [
                {
                    "type": "AWS::S3::Object",
                    "values": pulumi.Output.all(*covered, access_logs.arn).apply(lambda arns: [f"{a}/" for a in arns]),
                }
            ],
        }
    ],
)
