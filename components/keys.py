"""Customer-managed keys for the log stores: an AWS KMS key per AWS store, a Cloud KMS key per GCP store.

Each store has its own key, so revoking or auditing one store's access never touches another's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

from components.config.schema import PlatformConfig, StoreConfig

# AWS allows 7-30 days; the longest window gives the most time to cancel an accidental deletion.
KMS_DELETION_WINDOW_DAYS = 30
GCP_KEY_ROTATION_DAYS = 90
# Cloud KMS keeps destroyed key versions recoverable for this long (the AWS deletion window's twin).
GCP_KEY_DESTROY_SCHEDULED_DAYS = 30

# What the backend's role may do with the key: S3 SSE-KMS uploads call GenerateDataKey, downloads Decrypt.
KEY_USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
# What the account (through IAM policies of its administrators) may do: manage the key, never use it.
KEY_ADMIN_ACTIONS = [
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
]

GCS_ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"

# EBS volumes encrypted with the key (Jaeger's Badger volume, components/tracing/): what EC2 calls on behalf of the
# EBS CSI driver to create and attach one (the attach itself goes through a grant EC2 creates for the volume).
EBS_VOLUME_ACTIONS = ["kms:GenerateDataKeyWithoutPlaintext", "kms:Decrypt", "kms:ReEncrypt*", "kms:DescribeKey"]


def spans_on_encrypted_volume(platform: PlatformConfig) -> bool:
    """With tracing on Loki, Jaeger keeps spans in Badger on a disk encrypted with the store's key, so the cloud's
    disk service needs to use the key (on ELK the spans are in Elasticsearch's volumes and snapshots)."""
    return platform.tracing is not None and platform.backend == "loki"


def ec2_service(region: str) -> str:
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"ec2.{region}.{suffix}"


def ebs_volume_statements(*, partition: str, account_id: str, region: str) -> list[dict[str, Any]]:
    """Key use for EBS volumes only: through EC2 in the store's region, for callers of this account (the EBS CSI
    driver's IAM role also needs these actions in its own policy; logmesh does not manage that role). The account
    root here delegates to IAM; kms-separation-of-duties judges named principals, not the root."""
    root = {"AWS": f"arn:{partition}:iam::{account_id}:root"}
    via_ec2 = {"kms:ViaService": ec2_service(region), "kms:CallerAccount": account_id}
    return [
        {
            "Sid": "EbsVolumesUseTheKey",
            "Effect": "Allow",
            "Principal": root,
            "Action": EBS_VOLUME_ACTIONS,
            "Resource": "*",
            "Condition": {"StringEquals": via_ec2},
        },
        {
            "Sid": "EbsVolumesAttachWithAGrant",
            "Effect": "Allow",
            "Principal": root,
            "Action": ["kms:CreateGrant"],
            "Resource": "*",
            "Condition": {"StringEquals": via_ec2, "Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
    ]


def aws_partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def key_name(platform: PlatformConfig, store: StoreConfig) -> str:
    return f"logmesh-{platform.environment}-{store.id}"


def aws_key_alias(platform: PlatformConfig, store: StoreConfig) -> str:
    return f"alias/{key_name(platform, store)}"


def aws_key_policy(
    *, partition: str, account_id: str, backend_role_arn: str, trail_arn: str, ebs_region: str | None = None
) -> dict[str, Any]:
    """Administration to the account, use only to the backend's role and to this store's CloudTrail trail, and, with
    `ebs_region`, to EBS volumes through EC2 in that region (ebs_volume_statements).

    In a key policy `Resource: "*"` means "this key"; the key's own ARN does not exist before the policy."""
    ebs = ebs_volume_statements(partition=partition, account_id=account_id, region=ebs_region) if ebs_region else []
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersTheKey",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                "Action": KEY_ADMIN_ACTIONS,
                "Resource": "*",
            },
            {
                "Sid": "BackendUsesTheKey",
                "Effect": "Allow",
                "Principal": {"AWS": backend_role_arn},
                "Action": KEY_USE_ACTIONS,
                "Resource": "*",
            },
            {
                "Sid": "CloudTrailEncryptsItsLogFiles",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceArn": trail_arn},
                    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:{partition}:cloudtrail:*:{account_id}:trail/*"},
                },
            },
            {
                "Sid": "CloudTrailDescribesTheKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
            },
            *ebs,
        ],
    }


@dataclass(frozen=True)
class AwsStoreKey:
    key: aws.kms.Key
    alias: aws.kms.Alias


def create_aws_store_key(
    name: str,
    *,
    platform: PlatformConfig,
    store: StoreConfig,
    backend_role_arn: pulumi.Output[str],
    trail_arn: str,
    guarded: pulumi.ResourceOptions,
    child: pulumi.ResourceOptions,
) -> AwsStoreKey:
    """`guarded` carries the prod data-loss guards (protect, retain_on_delete) for the key itself."""
    account_id = store.account_id or ""
    ebs_region = store.region if spans_on_encrypted_volume(platform) else None
    policy = backend_role_arn.apply(
        lambda role_arn: json.dumps(
            aws_key_policy(
                partition=aws_partition(store.region),
                account_id=account_id,
                backend_role_arn=role_arn,
                trail_arn=trail_arn,
                ebs_region=ebs_region,
            )
        )
    )
    key = aws.kms.Key(
        f"{name}-key",
        description=f"logmesh {platform.environment} log store {store.name}: SSE-KMS for its bucket and CloudTrail",
        key_usage="ENCRYPT_DECRYPT",
        customer_master_key_spec="SYMMETRIC_DEFAULT",
        enable_key_rotation=True,
        deletion_window_in_days=KMS_DELETION_WINDOW_DAYS,
        bypass_policy_lockout_safety_check=False,
        policy=policy,
        opts=guarded,
    )
    alias = aws.kms.Alias(f"{name}-key-alias", name=aws_key_alias(platform, store), target_key_id=key.key_id, opts=child)
    return AwsStoreKey(key=key, alias=alias)


def gcs_service_agent_member(project: str, child: pulumi.ResourceOptions) -> pulumi.Output[str]:
    """The project's Cloud Storage service agent (`service-<project number>@gs-project-accounts.iam.gserviceaccount.com`,
    which encrypts and decrypts objects with a bucket's CMEK) as an IAM member, asked of Cloud Storage
    (projects.serviceAccount.get).

    GCP creates the agent only when something asks for it; a grant to its well-known address in a project that has
    never asked (a new logs project) fails with "service account ... does not exist". The call creates it."""
    agent = gcp.storage.get_project_service_account_output(
        project=project, opts=pulumi.InvokeOutputOptions(parent=child.parent, provider=child.provider)
    )
    return agent.email_address.apply(lambda email: f"serviceAccount:{email}")


def compute_service_agent_member(project_number: str) -> str:
    """The project's Compute Engine service agent, which encrypts and decrypts persistent disks with their CMEK
    (GKE's `disk-encryption-kms-key`). GCP creates it with the Compute Engine API, which GKE needs."""
    return f"serviceAccount:service-{project_number}@compute-system.iam.gserviceaccount.com"


@dataclass(frozen=True)
class GcpStoreKey:
    key_ring: gcp.kms.KeyRing
    key: gcp.kms.CryptoKey
    storage_agent_grant: gcp.kms.CryptoKeyIAMMember
    disk_agent_grant: gcp.kms.CryptoKeyIAMMember | None  # with spans_on_encrypted_volume


def create_gcp_store_key(
    name: str,
    *,
    platform: PlatformConfig,
    store: StoreConfig,
    guarded: pulumi.ResourceOptions,
    child: pulumi.ResourceOptions,
) -> GcpStoreKey:
    key_ring = gcp.kms.KeyRing(
        f"{name}-key-ring", name=key_name(platform, store), location=store.region, project=store.project, opts=guarded
    )
    key = gcp.kms.CryptoKey(
        f"{name}-key",
        name=key_name(platform, store),
        key_ring=key_ring.id,
        purpose="ENCRYPT_DECRYPT",
        rotation_period=f"{GCP_KEY_ROTATION_DAYS * 86400}s",
        destroy_scheduled_duration=f"{GCP_KEY_DESTROY_SCHEDULED_DAYS * 86400}s",
        opts=guarded,
    )
    grant = gcp.kms.CryptoKeyIAMMember(
        f"{name}-key-gcs-agent",
        crypto_key_id=key.id,
        role=GCS_ENCRYPTER_DECRYPTER,
        member=gcs_service_agent_member(store.project or "", child),
        opts=child,
    )
    disk_grant = None
    if spans_on_encrypted_volume(platform):
        disk_grant = gcp.kms.CryptoKeyIAMMember(
            f"{name}-key-compute-agent",
            crypto_key_id=key.id,
            role=GCS_ENCRYPTER_DECRYPTER,
            member=compute_service_agent_member(store.project_number or ""),
            opts=child,
        )
    return GcpStoreKey(key_ring=key_ring, key=key, storage_agent_grant=grant, disk_agent_grant=disk_grant)
