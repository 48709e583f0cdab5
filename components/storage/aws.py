"""The AWS log store: an S3 bucket with Object Lock and SSE-KMS, its access-logs bucket and CloudTrail data events,
and the IRSA role the backend writes with."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from components.identity import IRSA_ANNOTATION, create_irsa_role, create_irsa_role_policy
from components.keys import aws_partition, create_aws_store_key
from components.names import data_events_trail
from components.storage.base import StoreBase, bucket_name, tenant_prefixes
from components.storage.interface import LogStoreArgs
from components.storage.retention import (
    ABORT_INCOMPLETE_UPLOAD_DAYS,
    ACCESS_LOGS_NONCURRENT_DAYS,
    NONCURRENT_TRANSITION_DAYS,
    RetentionPlan,
)
from components.storage.trail_alerts import create_trail_alert


def deny_insecure_transport(bucket_arn: str) -> dict[str, Any]:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def store_bucket_policy(bucket_arn: str, key_arn: str) -> dict[str, Any]:
    """TLS only; an upload may ask for SSE-KMS with this key or send no encryption header (then the bucket
    default applies: Elasticsearch's repository-s3 and Loki rely on it), never for another encryption."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            deny_insecure_transport(bucket_arn),
            {
                "Sid": "DenyUploadsAskingForOtherEncryption",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/*",
                "Condition": {
                    "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
                    "Null": {"s3:x-amz-server-side-encryption": "false"},
                },
            },
            {
                "Sid": "DenyUploadsAskingForAnotherKey",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/*",
                "Condition": {
                    # The condition key is ARN-typed in the S3 service authorization reference.
                    "ArnNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn},
                    "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
                },
            },
        ],
    }


def access_logs_bucket_policy(
    *, partition: str, account_id: str, access_bucket_arn: str, store_bucket_arn: str, store_bucket: str, trail_arn: str
) -> dict[str, Any]:
    """TLS only; nobody may delete a log early (the bucket cannot have Object Lock); S3 server access logging of
    the store bucket and the store's trail may write their own prefixes."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            deny_insecure_transport(access_bucket_arn),
            {
                # S3 Lifecycle expirations are performed by S3 itself and are not evaluated against the bucket policy.
                "Sid": "DenyEarlyDeletion",
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
                "Resource": f"{access_bucket_arn}/*",
            },
            {
                "Sid": "S3ServerAccessLogsOfTheStoreBucket",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{access_bucket_arn}/{store_bucket}/*",
                "Condition": {
                    "ArnLike": {"aws:SourceArn": store_bucket_arn},
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            },
            {
                "Sid": "CloudTrailChecksTheBucketAcl",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": access_bucket_arn,
                "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
            },
            {
                "Sid": "CloudTrailWritesLogFiles",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{access_bucket_arn}/{CLOUDTRAIL_PREFIX}/AWSLogs/{account_id}/*",
                "Condition": {"StringEquals": {"aws:SourceArn": trail_arn, "s3:x-amz-acl": "bucket-owner-full-control"}},
            },
        ],
    }


CLOUDTRAIL_PREFIX = "cloudtrail"


def _abort_uploads_rule() -> aws.s3.BucketLifecycleConfigurationRuleArgsDict:
    # The only lifecycle rule with an empty prefix that removes anything live: it never touches an object.
    return {
        "id": "abort-incomplete-multipart-uploads",
        "status": "Enabled",
        "filter": {"prefix": ""},
        "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_INCOMPLETE_UPLOAD_DAYS},
    }


def aws_store_lifecycle_rules(plan: RetentionPlan, tenants: tuple[str, ...]) -> list[aws.s3.BucketLifecycleConfigurationRuleArgsDict]:
    rules: list[aws.s3.BucketLifecycleConfigurationRuleArgsDict] = []
    cold = plan.aws_cold_class
    for tenant, prefix in zip(tenants, tenant_prefixes(tenants), strict=True):
        rule: aws.s3.BucketLifecycleConfigurationRuleArgsDict = {
            "id": f"tenant-{tenant}-chunks",
            "status": "Enabled",
            "filter": {"prefix": prefix},
            # Only the backstop for a backend that failed to delete at hot_days: it adds a delete marker, the
            # object lock (default retention archive_days) keeps the version, and the noncurrent-version rule
            # below removes it later.
            "expiration": {"days": plan.backstop_days},
        }
        if cold is not None:
            # Every chunk is noncurrent from hot_days (or backstop_days) on, so only noncurrent versions move to
            # the colder class; a transition of current versions at hot_days would race the backend's delete.
            rule["noncurrent_version_transitions"] = [{"noncurrent_days": NONCURRENT_TRANSITION_DAYS, "storage_class": cold}]
        rules.append(rule)
    rules.append(
        {
            # Removes only noncurrent versions and orphaned delete markers, never a current object, so it may
            # cover the whole bucket: the backend's index and an Elasticsearch repository are versioned too, and
            # without it their deleted or overwritten versions would be kept forever.
            "id": "expire-noncurrent-versions",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "noncurrent_version_expiration": {"noncurrent_days": plan.noncurrent_days},
            "expiration": {"expired_object_delete_marker": True},
        }
    )
    rules.append(_abort_uploads_rule())
    return rules


def aws_access_logs_lifecycle_rules(plan: RetentionPlan, prefixes: list[str]) -> list[aws.s3.BucketLifecycleConfigurationRuleArgsDict]:
    rules: list[aws.s3.BucketLifecycleConfigurationRuleArgsDict] = [
        {
            "id": f"expire-{prefix.strip('/')}",
            "status": "Enabled",
            "filter": {"prefix": prefix},
            "expiration": {"days": plan.archive_days},
            # The bucket policy denies every delete, so the only noncurrent versions are the ones this rule's
            # expiration leaves behind: gone a day later.
            "noncurrent_version_expiration": {"noncurrent_days": ACCESS_LOGS_NONCURRENT_DAYS},
        }
        for prefix in prefixes
    ]
    rules.append(_abort_uploads_rule())
    return rules


class AwsLogStore(StoreBase):
    """KMS key, object-locked S3 bucket, access-logs bucket, CloudTrail data events and the backend's IRSA role."""

    def __init__(self, name: str, args: LogStoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("logmesh:storage:AwsLogStore", name, args, opts)
        platform, store, plan = args.platform, args.store, self.plan
        account_id = store.account_id or ""
        partition = aws_partition(store.region)
        store_bucket = bucket_name(platform, store, "logs")
        access_bucket = bucket_name(platform, store, "access-logs")
        trail_name = data_events_trail(platform.environment, store.id)
        trail_arn = f"arn:{partition}:cloudtrail:{store.region}:{account_id}:trail/{trail_name}"

        role = create_irsa_role(name, self.principal, opts=self._child())
        key = create_aws_store_key(
            name,
            platform=platform,
            store=store,
            backend_role_arn=role.arn,
            trail_arn=trail_arn,
            guarded=self._guarded(),
            child=self._child(),
        ).key

        # Access logs: S3 cannot deliver server access logs to an object-locked bucket, and AWS documents
        # SSE-S3 for a log target bucket.
        # Both buckets hold objects encrypted with the key (the store's objects, CloudTrail's log files): each depends on
        # it, so the key's scheduled deletion waits until the bucket is deleted and never happens if that fails.
        access = aws.s3.Bucket(
            f"{name}-access-logs",
            bucket=access_bucket,
            force_destroy=False,
            object_lock_enabled=False,
            opts=self._guarded(depends_on=[key]),
        )
        access_controls = self._private_bucket(f"{name}-access-logs", access)
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-access-logs-encryption",
            bucket=access.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}, "blocked_encryption_types": ["SSE-C"]}],
            opts=self._child(),
        )
        access_versioning = aws.s3.BucketVersioning(
            f"{name}-access-logs-versioning", bucket=access.id, versioning_configuration={"status": "Enabled"}, opts=self._child()
        )
        access_policy = aws.s3.BucketPolicy(
            f"{name}-access-logs-policy",
            bucket=access.id,
            policy=access.arn.apply(
                lambda arn: json.dumps(
                    access_logs_bucket_policy(
                        partition=partition,
                        account_id=account_id,
                        access_bucket_arn=arn,
                        store_bucket_arn=f"arn:{partition}:s3:::{store_bucket}",
                        store_bucket=store_bucket,
                        trail_arn=trail_arn,
                    )
                )
            ),
            opts=self._child(depends_on=access_controls),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-access-logs-lifecycle",
            bucket=access.id,
            rules=aws_access_logs_lifecycle_rules(plan, [f"{store_bucket}/", f"{CLOUDTRAIL_PREFIX}/"]),
            opts=self._child(depends_on=[access_versioning]),
        )

        bucket = aws.s3.Bucket(
            f"{name}-logs",
            bucket=store_bucket,
            force_destroy=False,
            object_lock_enabled=plan.immutable,
            opts=self._guarded(depends_on=[key]),
        )
        controls = self._private_bucket(f"{name}-logs", bucket)
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-logs-encryption",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": key.arn},
                    "bucket_key_enabled": True,
                    "blocked_encryption_types": ["SSE-C"],
                }
            ],
            opts=self._child(),
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-logs-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=self._child()
        )
        if plan.lock_days is not None and plan.lock_mode is not None:
            aws.s3.BucketObjectLockConfiguration(
                f"{name}-logs-object-lock",
                bucket=bucket.id,
                object_lock_enabled="Enabled",
                rule={"default_retention": {"mode": plan.lock_mode, "days": plan.lock_days}},
                opts=self._guarded(depends_on=[versioning]),
            )
        aws.s3.BucketPolicy(
            f"{name}-logs-policy",
            bucket=bucket.id,
            policy=pulumi.Output.all(bucket.arn, key.arn).apply(lambda arns: json.dumps(store_bucket_policy(arns[0], arns[1]))),
            opts=self._child(depends_on=controls),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-logs-lifecycle",
            bucket=bucket.id,
            rules=aws_store_lifecycle_rules(plan, args.tenants),
            opts=self._child(depends_on=[versioning]),
        )
        aws.s3.BucketLogging(
            f"{name}-logs-access-logging",
            bucket=bucket.id,
            target_bucket=access.id,
            target_prefix=f"{store_bucket}/",
            opts=self._child(depends_on=[access_policy]),
        )

        aws.cloudtrail.Trail(
            f"{name}-data-events",
            name=trail_name,
            s3_bucket_name=access.id,
            s3_key_prefix=CLOUDTRAIL_PREFIX,
            kms_key_id=key.arn,
            enable_logging=True,
            enable_log_file_validation=True,
            include_global_service_events=False,
            is_multi_region_trail=False,
            # Data events only (read and write) on the store bucket's objects; the trail delivers to the
            # access-logs bucket, so it never logs its own deliveries.
            advanced_event_selectors=[
                {
                    "name": f"Read and write data events on {store_bucket}",
                    "field_selectors": [
                        {"field": "eventCategory", "equals": ["Data"]},
                        {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                        {"field": "resources.ARN", "starts_withs": [f"arn:{partition}:s3:::{store_bucket}/"]},
                    ],
                }
            ],
            opts=self._child(depends_on=[access_policy]),
        )

        create_trail_alert(name, trail_name=trail_name, trail_arn=trail_arn, child=self._child())
        create_irsa_role_policy(name, role=role, bucket_arn=bucket.arn, key_arn=key.arn, opts=self._child())

        self.bucket_name = bucket.bucket
        self.bucket_url = bucket.bucket.apply(lambda b: f"s3://{b}")
        self.bucket_id = bucket.arn
        self.key_id = key.arn
        self.identity = role.arn
        self.identity_annotations = role.arn.apply(lambda arn: {IRSA_ANNOTATION: arn})
        self.archive_bucket_name = bucket.bucket
        self._register()

    def _private_bucket(self, name: str, bucket: aws.s3.Bucket) -> list[pulumi.Resource]:
        ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership", bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=self._child()
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=self._child(),
        )
        return [ownership, public_access]
