"""Workload identity: how a backend's Kubernetes service account reaches its store without static keys."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

from components.config.schema import Backend, ClusterConfig, PlatformConfig, StoreConfig
from components.names import BACKEND_NAMESPACE

# The Kubernetes service account each backend's pods run as: the store's cloud identity trusts exactly this.
BACKEND_SERVICE_ACCOUNTS: dict[Backend, str] = {"loki": "loki", "elk": "elasticsearch"}


@dataclass(frozen=True)
class ServiceAccountRef:
    namespace: str
    name: str

    @property
    def subject(self) -> str:
        """The IRSA token subject (`sub` claim)."""
        return f"system:serviceaccount:{self.namespace}:{self.name}"

    def gke_member(self, project: str) -> str:
        """The GKE Workload Identity principal for this service account."""
        return f"serviceAccount:{project}.svc.id.goog[{self.namespace}/{self.name}]"


def backend_service_account(backend: Backend) -> ServiceAccountRef:
    return ServiceAccountRef(BACKEND_NAMESPACE, BACKEND_SERVICE_ACCOUNTS[backend])


@dataclass(frozen=True)
class BackendPrincipal:
    """Whom a store's cloud identity is for: the platform's backend of `store`, running as `service_account`
    on `cluster`. The same on both clouds; the IRSA role and the GKE identity are built from it."""

    platform: PlatformConfig
    store: StoreConfig
    cluster: ClusterConfig
    service_account: ServiceAccountRef


# --- AWS: IAM role for service accounts (IRSA) ---------------------------------------------------

IRSA_AUDIENCE = "sts.amazonaws.com"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
GKE_WORKLOAD_IDENTITY_ANNOTATION = "iam.gke.io/gcp-service-account"
# GCP service account ids are 6-30 characters.
GCP_SERVICE_ACCOUNT_ID_MAX = 30


def irsa_trust_policy(cluster: ClusterConfig, service_account: ServiceAccountRef) -> dict[str, Any]:
    """Only tokens the cluster's OIDC provider issued to exactly this Kubernetes service account, for STS."""
    issuer = cluster.oidc_issuer
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "BackendServiceAccountOnly",
                "Effect": "Allow",
                "Principal": {"Federated": cluster.oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{issuer}:sub": service_account.subject, f"{issuer}:aud": IRSA_AUDIENCE},
                },
            }
        ],
    }


def backend_bucket_policy(bucket_arn: str, key_arn: str) -> dict[str, Any]:
    """The backend's inline policy: its bucket and its key, nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            # Multipart permissions: what AWS recommends for Elasticsearch's repository-s3 (large snapshot blobs).
            {
                "Sid": "ListTheStoreBucket",
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:ListBucketMultipartUploads"],
                "Resource": bucket_arn,
            },
            {
                "Sid": "ReadWriteDeleteStoreObjects",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                "Resource": f"{bucket_arn}/*",
            },
            {"Sid": "UseTheStoreKey", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": key_arn},
        ],
    }


def aws_backend_role_name(platform: PlatformConfig, store: StoreConfig) -> str:
    return f"logmesh-{platform.environment}-{store.id}-{platform.backend}"


def create_irsa_role(name: str, principal: BackendPrincipal, opts: pulumi.ResourceOptions) -> aws.iam.Role:
    platform, store, cluster, service_account = principal.platform, principal.store, principal.cluster, principal.service_account
    return aws.iam.Role(
        f"{name}-backend-role",
        name=aws_backend_role_name(platform, store),
        description=f"logmesh {platform.backend} backend of store {store.name} ({service_account.subject} on {cluster.name})",
        assume_role_policy=json.dumps(irsa_trust_policy(cluster, service_account)),
        max_session_duration=3600,
        opts=opts,
    )


def create_irsa_role_policy(
    name: str, *, role: aws.iam.Role, bucket_arn: pulumi.Output[str], key_arn: pulumi.Output[str], opts: pulumi.ResourceOptions
) -> aws.iam.RolePolicy:
    return aws.iam.RolePolicy(
        f"{name}-backend-access",
        name="log-store-access",
        role=role.name,
        policy=pulumi.Output.all(bucket_arn, key_arn).apply(lambda arns: json.dumps(backend_bucket_policy(arns[0], arns[1]))),
        opts=opts,
    )


# --- GCP: GKE Workload Identity --------------------------------------------------------------------


def gcp_service_account_id(platform: PlatformConfig, store: StoreConfig) -> str:
    """`logmesh-<env>-<store>`, or a stable shortened form with a hash when it exceeds 30 characters."""
    full = f"logmesh-{platform.environment}-{store.id}"
    if len(full) <= GCP_SERVICE_ACCOUNT_ID_MAX:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:8]
    return f"{full[: GCP_SERVICE_ACCOUNT_ID_MAX - 9].rstrip('-')}-{digest}"


@dataclass(frozen=True)
class GkeBackendIdentity:
    account: gcp.serviceaccount.Account
    workload_identity_binding: gcp.serviceaccount.IAMMember


def create_gke_backend_identity(name: str, principal: BackendPrincipal, opts: pulumi.ResourceOptions) -> GkeBackendIdentity:
    """A Google service account that only the backend's Kubernetes service account can impersonate.
    No service-account keys are ever created: GKE exchanges the pod's token for short-lived credentials."""
    platform, store, cluster, service_account = principal.platform, principal.store, principal.cluster, principal.service_account
    account = gcp.serviceaccount.Account(
        f"{name}-backend-sa",
        account_id=gcp_service_account_id(platform, store),
        display_name=f"logmesh {platform.environment} {platform.backend} backend of store {store.name}",
        description=f"Workload Identity for {service_account.namespace}/{service_account.name} on {cluster.name}",
        project=store.project,
        create_ignore_already_exists=False,
        opts=opts,
    )
    binding = gcp.serviceaccount.IAMMember(
        f"{name}-backend-workload-identity",
        service_account_id=account.name,
        role="roles/iam.workloadIdentityUser",
        member=service_account.gke_member(cluster.project or ""),
        opts=opts,
    )
    return GkeBackendIdentity(account=account, workload_identity_binding=binding)
