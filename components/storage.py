"""Central log stores: one per cloud/region, the same shape on AWS and GCP.

CONTRACT (used by components/platform.py and components/backends.py; keep it stable):

    LogStoreArgs(platform, store, backend_cluster, backend_service_account, tenants)
    AwsLogStore / GcpLogStore(name, args, opts) -> a LogStore with
        bucket_name: Output[str]            the bucket the backend writes to
        bucket_url: Output[str]             s3://<name> or gs://<name>
        bucket_id: Output[str]              S3 bucket ARN / GCS bucket self link
        key_id: Output[str]                 KMS key ARN / Cloud KMS crypto key id
        identity: Output[str]               IRSA role ARN / Google service account email
        identity_annotations: Output[dict]  annotations for the backend's Kubernetes service account
        archive_bucket_name: Output[str]    the bucket that keeps the immutable copy for archive_days
                                            (the same bucket on AWS; a separate archive bucket on GCS)
        region: str
        backend_retention_days: int         how long the backend may keep data (never longer than the bucket: a
                                            lifecycle backstop deletes tenant chunks one day later)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

from components.config import ClusterConfig, PlatformConfig, StoreConfig
from components.identity import (
    GKE_WORKLOAD_IDENTITY_ANNOTATION,
    IRSA_ANNOTATION,
    BackendPrincipal,
    ServiceAccountRef,
    create_gke_backend_identity,
    create_irsa_role,
    create_irsa_role_policy,
)
from components.keys import aws_partition, create_aws_store_key, create_gcp_store_key


@dataclass(frozen=True)
class LogStoreArgs:
    platform: PlatformConfig
    store: StoreConfig
    backend_cluster: ClusterConfig
    backend_service_account: ServiceAccountRef
    # Cluster names that ship to this store: Loki tenants, whose chunk prefixes lifecycle rules target.
    tenants: tuple[str, ...]


class LogStore(pulumi.ComponentResource):
    """The output shape both clouds' stores share."""

    bucket_name: pulumi.Output[str]
    bucket_url: pulumi.Output[str]
    bucket_id: pulumi.Output[str]
    key_id: pulumi.Output[str]
    identity: pulumi.Output[str]
    identity_annotations: pulumi.Output[dict[str, str]]
    archive_bucket_name: pulumi.Output[str]
    region: str
    backend_retention_days: int

    def _register(self) -> None:
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_url": self.bucket_url,
                "bucket_id": self.bucket_id,
                "key_id": self.key_id,
                "identity": self.identity,
                "identity_annotations": self.identity_annotations,
                "archive_bucket_name": self.archive_bucket_name,
                "backend_retention_days": self.backend_retention_days,
            }
        )


# --- retention: the three configured numbers and everything derived from them --------------------

# S3 and GCS bucket names are at most 63 characters.
MAX_BUCKET_NAME = 63
ABORT_INCOMPLETE_UPLOAD_DAYS = 7
SOFT_DELETE_DAYS = 7
# GCS working bucket: how long an overwritten or deleted version stays recoverable there. The archive bucket,
# not the working bucket, is what keeps logs for archive_days.
WORKING_NONCURRENT_DAYS = 7
# S3: days a version has been noncurrent before it moves to the colder class.
NONCURRENT_TRANSITION_DAYS = 1
# S3 access-logs bucket: how long the version an expiration leaves behind stays (the shortest S3 allows).
ACCESS_LOGS_NONCURRENT_DAYS = 1
# S3 Glacier Instant Retrieval: millisecond reads like STANDARD, no minimum age before a lifecycle transition
# (STANDARD_IA needs 30 days), billed for at least 90 days, which still costs less than STANDARD for any tail
# longer than about two weeks.
AWS_COLD_STORAGE_CLASS = "GLACIER_IR"
# GCS classes and their minimum storage durations (an early delete is billed up to that duration).
GCS_COLD_STORAGE_CLASSES = (("ARCHIVE", 365), ("COLDLINE", 90), ("NEARLINE", 0))
# The Storage Transfer job copies the working bucket into the archive once a day from this date; a start date
# in the past makes the first run the day after the job is created.
TRANSFER_SCHEDULE_START: gcp.storage.TransferJobScheduleScheduleStartDateArgsDict = {"year": 2026, "month": 1, "day": 1}
SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class RetentionPlan:
    """Every retention number a store uses, derived from `logmesh:retention` in one place.

    The backend deletes at hot_days. On S3 that delete only adds a delete marker: the locked version stays
    noncurrent for archive_days - hot_days more days, so every object is kept archive_days in total (at most
    archive_days + 1 when the lifecycle backstop deletes it instead). On GCS the backend's bucket is a working
    copy; the archive bucket keeps each object archive_days under a retention policy."""

    hot_days: int
    archive_days: int
    immutable: bool
    prod: bool

    @classmethod
    def of(cls, platform: PlatformConfig) -> RetentionPlan:
        r = platform.retention
        return cls(hot_days=r.hot_days, archive_days=r.archive_days, immutable=r.immutable, prod=platform.is_prod)

    @property
    def backend_retention_days(self) -> int:
        return self.hot_days

    @property
    def noncurrent_days(self) -> int:
        """S3: how long a version the backend deleted at hot_days stays, so the total is archive_days."""
        return max(1, self.archive_days - self.hot_days)

    @property
    def backstop_days(self) -> int:
        """Age at which lifecycle deletes a tenant chunk the backend failed to delete. The backend deletes at
        hot_days (Loki adds its 2h retention_delete_delay); a day later the lifecycle rule does it instead. Either
        delete only adds a delete marker in a versioned bucket, and the version left behind is kept by the
        noncurrent rule (and on S3 by the lock), so the longest an object is kept is archive_days + 1."""
        return min(self.hot_days + 1, self.archive_days)

    @property
    def lock_days(self) -> int | None:
        return self.archive_days if self.immutable else None

    @property
    def lock_mode(self) -> str | None:
        """COMPLIANCE cannot be shortened by anyone; GOVERNANCE can, with s3:BypassGovernanceRetention."""
        if not self.immutable:
            return None
        return "COMPLIANCE" if self.prod else "GOVERNANCE"

    @property
    def cold_days(self) -> int:
        """Days an object still has to live when it leaves the hot period."""
        return self.archive_days - self.hot_days

    @property
    def aws_cold_class(self) -> str | None:
        return AWS_COLD_STORAGE_CLASS if self.cold_days > 0 else None

    @property
    def gcs_cold_class(self) -> str | None:
        """The coldest class whose minimum storage duration fits in what is left of the object's life."""
        if self.cold_days <= 0:
            return None
        return next(name for name, minimum in GCS_COLD_STORAGE_CLASSES if self.cold_days >= minimum)

    @property
    def retention_period_seconds(self) -> int:
        return self.archive_days * SECONDS_PER_DAY


def bucket_name(platform: PlatformConfig, store: StoreConfig, suffix: str) -> str:
    """`<org>-<env>-<store>-<suffix>`; when that is longer than 63 characters, a stable shortened form with
    a hash of the full name (the config allows org and store names that fit `-logs`, not every suffix)."""
    full = f"{platform.org}-{platform.environment}-{store.name}-{suffix}"
    if len(full) <= MAX_BUCKET_NAME:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:8]
    head = full[: MAX_BUCKET_NAME - len(suffix) - len(digest) - 2].rstrip("-")
    return f"{head}-{digest}-{suffix}"


def tenant_prefixes(tenants: tuple[str, ...]) -> list[str]:
    """Loki keeps each tenant's chunks under `<tenant>/`; its index and cluster seed live elsewhere."""
    return [f"{tenant}/" for tenant in tenants]


def _provider_of(opts: pulumi.ResourceOptions | None) -> pulumi.ProviderResource:
    provider = opts.provider if opts else None
    if provider is None:
        raise ValueError("a LogStore needs the explicit provider of its store scope (opts.provider)")
    return provider


class _StoreBase(LogStore):
    def __init__(self, type_: str, name: str, args: LogStoreArgs, opts: pulumi.ResourceOptions | None) -> None:
        provider = _provider_of(opts)
        super().__init__(type_, name, None, opts)
        self.args = args
        self.plan = RetentionPlan.of(args.platform)
        self.provider = provider
        self.region = args.store.region
        self.backend_retention_days = self.plan.backend_retention_days
        self.principal = BackendPrincipal(args.platform, args.store, args.backend_cluster, args.backend_service_account)

    def _child(self, depends_on: Sequence[pulumi.Resource] | None = None) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=depends_on)

    def _guarded(self, depends_on: Sequence[pulumi.Resource] | None = None) -> pulumi.ResourceOptions:
        """Keys and buckets in prod: `pulumi destroy`, a rename or a replacement cannot delete them."""
        prod = self.plan.prod
        return pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=depends_on, protect=prod, retain_on_delete=prod)


# --- AWS ------------------------------------------------------------------------------------------


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


class AwsLogStore(_StoreBase):
    """KMS key, object-locked S3 bucket, access-logs bucket, CloudTrail data events and the backend's IRSA role."""

    def __init__(self, name: str, args: LogStoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("logmesh:storage:AwsLogStore", name, args, opts)
        platform, store, plan = args.platform, args.store, self.plan
        account_id = store.account_id or ""
        partition = aws_partition(store.region)
        store_bucket = bucket_name(platform, store, "logs")
        access_bucket = bucket_name(platform, store, "access-logs")
        trail_name = f"logmesh-{platform.environment}-{store.name}-data-events"
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
        access = aws.s3.Bucket(
            f"{name}-access-logs", bucket=access_bucket, force_destroy=False, object_lock_enabled=False, opts=self._guarded()
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
            f"{name}-logs", bucket=store_bucket, force_destroy=False, object_lock_enabled=plan.immutable, opts=self._guarded()
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


# --- GCP ------------------------------------------------------------------------------------------

GCS_AUDITED_SERVICES = ("storage.googleapis.com", "cloudkms.googleapis.com")
GCS_AUDIT_LOG_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")
# The group Cloud Storage writes usage and storage logs as.
GCS_ANALYTICS_WRITER = "group:cloud-storage-analytics@google.com"
BACKEND_BUCKET_ROLE = "roles/storage.objectAdmin"
# Storage Transfer Service: read the source; create (never delete or overwrite) in the sink. Encryption with
# the buckets' CMEK is done by the Cloud Storage service agent, so the transfer agent needs no key role.
TRANSFER_SOURCE_ROLES = ("roles/storage.objectViewer", "roles/storage.legacyBucketReader")
TRANSFER_SINK_ROLES = ("roles/storage.objectCreator", "roles/storage.legacyBucketReader")


def storage_transfer_agent(project_number: str) -> str:
    return f"project-{project_number}@storage-transfer-service.iam.gserviceaccount.com"


def gcs_working_lifecycle_rules(plan: RetentionPlan, tenants: tuple[str, ...]) -> list[gcp.storage.BucketLifecycleRuleArgsDict]:
    """No colder class here: every chunk leaves the working bucket within WORKING_NONCURRENT_DAYS of hot_days,
    sooner than any colder class's minimum storage duration (the archive holds the long tail)."""
    return [
        # The backstop for a backend that failed to delete at hot_days, as on S3.
        {
            "action": {"type": "Delete"},
            "condition": {"age": plan.backstop_days, "matches_prefixes": tenant_prefixes(tenants), "with_state": "LIVE"},
        },
        # Noncurrent versions only: never removes a live object (the backend's index lives beside the chunks).
        {"action": {"type": "Delete"}, "condition": {"days_since_noncurrent_time": WORKING_NONCURRENT_DAYS, "with_state": "ARCHIVED"}},
        # Age counts from a version's creation: no version outlives archive_days, whenever it became noncurrent.
        {"action": {"type": "Delete"}, "condition": {"age": plan.archive_days, "with_state": "ARCHIVED"}},
    ]


def gcs_immutability(plan: RetentionPlan) -> dict[str, Any]:
    """A retention policy of archive_days (locked in prod); versioning instead when the stack is not immutable
    (GCS does not allow both on one bucket)."""
    if plan.lock_days is None:
        return {"versioning": {"enabled": True}}
    return {"retention_policy": {"retention_period": str(plan.retention_period_seconds), "is_locked": plan.prod}}


def gcs_noncurrent_cleanup(plan: RetentionPlan) -> list[gcp.storage.BucketLifecycleRuleArgsDict]:
    """Versioned (not immutable) buckets: a version deleted early stays until it is archive_days old (age counts
    from its creation), and the version the age rule for live objects leaves behind goes at once."""
    if plan.lock_days is not None:
        return []
    return [{"action": {"type": "Delete"}, "condition": {"age": plan.archive_days, "with_state": "ARCHIVED"}}]


def gcs_soft_delete(plan: RetentionPlan) -> gcp.storage.BucketSoftDeletePolicyArgsDict:
    """Under a retention policy nothing can be deleted before archive_days (short of removing an unlocked policy,
    as a GOVERNANCE bypass can on S3), so soft delete would only keep expired logs longer; a versioned bucket keeps
    it as the guard against deleting a version outright."""
    days = 0 if plan.lock_days is not None else SOFT_DELETE_DAYS
    return {"retention_duration_seconds": days * SECONDS_PER_DAY}


def gcs_archive_lifecycle_rules(plan: RetentionPlan) -> list[gcp.storage.BucketLifecycleRuleArgsDict]:
    # The archive is never read by the backend, so every object in it expires at archive_days.
    rules: list[gcp.storage.BucketLifecycleRuleArgsDict] = []
    cold = plan.gcs_cold_class
    if cold is not None:
        rules.append(
            {
                "action": {"type": "SetStorageClass", "storage_class": cold},
                "condition": {"age": plan.hot_days, "matches_storage_classes": ["STANDARD"]},
            }
        )
    rules.append({"action": {"type": "Delete"}, "condition": {"age": plan.archive_days}})
    return rules + gcs_noncurrent_cleanup(plan)


class GcpLogStore(_StoreBase):
    """Cloud KMS key, a CMEK working bucket for the backend, an immutable CMEK archive bucket filled daily by
    Storage Transfer Service, an access-logs bucket, Data Access audit logs and the backend's Workload Identity.

    Why two buckets: a GCS retention policy blocks every delete and overwrite, and GCS does not allow Object
    Versioning beside it, while Loki's compactor deletes chunks and an Elasticsearch repository overwrites and
    deletes blobs. The backend therefore works in a versioned bucket and keeps hot_days there; the archive holds
    a copy of every object for exactly archive_days under a retention policy (locked in prod)."""

    def __init__(self, name: str, args: LogStoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("logmesh:storage:GcpLogStore", name, args, opts)
        platform, store, plan = args.platform, args.store, self.plan
        project, project_number = store.project or "", store.project_number or ""
        working_name = bucket_name(platform, store, "logs")
        archive_name = bucket_name(platform, store, "archive")
        access_name = bucket_name(platform, store, "access-logs")

        keys = create_gcp_store_key(name, platform=platform, store=store, guarded=self._guarded(), child=self._child())
        key = keys.key
        # Every bucket uses the key by default, so it can only be created once the GCS service agent may use it.
        after_grant = [keys.storage_agent_grant]
        encryption: gcp.storage.BucketEncryptionArgsDict = {"default_kms_key_name": key.id}

        def private_bucket(
            resource_name: str, bucket: str, soft_delete: gcp.storage.BucketSoftDeletePolicyArgsDict, **settings: Any
        ) -> gcp.storage.Bucket:
            return gcp.storage.Bucket(
                resource_name,
                name=bucket,
                project=project,
                location=store.region,
                storage_class="STANDARD",
                uniform_bucket_level_access=True,
                public_access_prevention="enforced",
                force_destroy=False,
                encryption=encryption,
                soft_delete_policy=soft_delete,
                opts=self._guarded(depends_on=after_grant),
                **settings,
            )

        # Access logs are audit evidence written once: immutable like the archive.
        access = private_bucket(
            f"{name}-access-logs",
            access_name,
            lifecycle_rules=[
                {"action": {"type": "Delete"}, "condition": {"age": plan.archive_days, "matches_prefixes": [working_name, archive_name]}},
                *gcs_noncurrent_cleanup(plan),
            ],
            soft_delete=gcs_soft_delete(plan),
            **gcs_immutability(plan),
        )
        gcp.storage.BucketIAMMember(
            f"{name}-access-logs-writer",
            bucket=access.name,
            role="roles/storage.objectCreator",
            member=GCS_ANALYTICS_WRITER,
            opts=self._child(),
        )

        working = private_bucket(
            f"{name}-logs",
            working_name,
            soft_delete={"retention_duration_seconds": SOFT_DELETE_DAYS * SECONDS_PER_DAY},
            versioning={"enabled": True},
            lifecycle_rules=gcs_working_lifecycle_rules(plan, args.tenants),
            logging={"log_bucket": access.name, "log_object_prefix": working_name},
        )
        archive = private_bucket(
            f"{name}-archive",
            archive_name,
            lifecycle_rules=gcs_archive_lifecycle_rules(plan),
            logging={"log_bucket": access.name, "log_object_prefix": archive_name},
            soft_delete=gcs_soft_delete(plan),
            **gcs_immutability(plan),
        )

        identity = create_gke_backend_identity(name, self.principal, opts=self._child())
        gcp.storage.BucketIAMMember(
            f"{name}-logs-backend",
            bucket=working.name,
            role=BACKEND_BUCKET_ROLE,
            member=identity.account.email.apply(lambda email: f"serviceAccount:{email}"),
            opts=self._child(),
        )

        # GCP creates Storage Transfer's service agent only when something asks for it (googleServiceAccounts.get); a
        # grant to its address in a project that never asked (a new logs project) fails with "service account ... does
        # not exist". Ask first; the grants wait for the answer.
        asked = gcp.storage.get_transfer_project_service_account_output(
            project=project, opts=pulumi.InvokeOutputOptions(parent=self, provider=self.provider)
        )
        transfer_agent = asked.apply(lambda _: f"serviceAccount:{storage_transfer_agent(project_number)}")
        transfer_grants: list[pulumi.Resource] = []
        for bucket, suffix, roles in ((working, "logs", TRANSFER_SOURCE_ROLES), (archive, "archive", TRANSFER_SINK_ROLES)):
            for role in roles:
                transfer_grants.append(
                    gcp.storage.BucketIAMMember(
                        f"{name}-{suffix}-transfer-{role.rsplit('.', 1)[-1]}",
                        bucket=bucket.name,
                        role=role,
                        member=transfer_agent,
                        opts=self._child(),
                    )
                )
        gcp.storage.TransferJob(
            f"{name}-archive-copy",
            project=project,
            description=f"logmesh {platform.environment} {store.name}: daily copy of {working_name} into {archive_name}",
            status="ENABLED",
            transfer_spec={
                "gcs_data_source": {"bucket_name": working.name},
                "gcs_data_sink": {"bucket_name": archive.name},
                "transfer_options": {
                    "overwrite_when": "NEVER",
                    "delete_objects_unique_in_sink": False,
                    "delete_objects_from_source_after_transfer": False,
                },
            },
            schedule={
                "schedule_start_date": TRANSFER_SCHEDULE_START,
                "start_time_of_day": {"hours": 1, "minutes": 0, "seconds": 0, "nanos": 0},
                "repeat_interval": f"{SECONDS_PER_DAY}s",
            },
            logging_config={"log_actions": ["COPY", "FIND"], "log_action_states": ["FAILED"]},
            opts=self._child(depends_on=transfer_grants),
        )

        for service in GCS_AUDITED_SERVICES:
            gcp.projects.IAMAuditConfig(
                f"{name}-audit-{service.split('.', 1)[0]}",
                project=project,
                service=service,
                audit_log_configs=[{"log_type": log_type} for log_type in GCS_AUDIT_LOG_TYPES],
                opts=self._child(),
            )

        self.bucket_name = working.name
        self.bucket_url = working.url
        self.bucket_id = working.self_link
        self.key_id = key.id
        self.identity = identity.account.email
        self.identity_annotations = identity.account.email.apply(lambda email: {GKE_WORKLOAD_IDENTITY_ANNOTATION: email})
        self.archive_bucket_name = archive.name
        self._register()
