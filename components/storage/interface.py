"""Central log stores: one per cloud/region, the same shape on AWS and GCP.

CONTRACT (used by components/platform.py and components/backends/; keep it stable):

    LogStoreArgs(platform, store, backend_cluster, backend_service_account, tenants, provider)
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

from dataclasses import dataclass

import pulumi

from components.config.schema import ClusterConfig, PlatformConfig, StoreConfig
from components.identity import ServiceAccountRef


@dataclass(frozen=True)
class LogStoreArgs:
    platform: PlatformConfig
    store: StoreConfig
    backend_cluster: ClusterConfig
    backend_service_account: ServiceAccountRef
    # Cluster names that ship to this store: Loki tenants, whose chunk prefixes lifecycle rules target.
    tenants: tuple[str, ...]
    provider: pulumi.ProviderResource  # of the store's scope: its AWS account and region, or its GCP project


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
