"""What both clouds' stores share: retention plan, provider, backend principal, bucket names, resource options."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pulumi

from components.config.schema import PlatformConfig, StoreConfig
from components.identity import BackendPrincipal
from components.names import LOKI_DELETION_MARKER_PREFIX
from components.storage.interface import LogStore, LogStoreArgs
from components.storage.retention import RetentionPlan

# S3 and GCS bucket names are at most 63 characters.
MAX_BUCKET_NAME = 63


def bucket_name(platform: PlatformConfig, store: StoreConfig, suffix: str) -> str:
    """`<org>-<env>-<store>-<suffix>`; when that is longer than 63 characters, a stable shortened form with
    a hash of the full name (the config allows org and store names that fit `-logs`, not every suffix)."""
    full = f"{platform.org}-{platform.environment}-{store.id}-{suffix}"
    if len(full) <= MAX_BUCKET_NAME:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:8]
    head = full[: MAX_BUCKET_NAME - len(suffix) - len(digest) - 2].rstrip("-")
    return f"{head}-{digest}-{suffix}"


def tenant_prefixes(tenants: tuple[str, ...]) -> list[str]:
    """Loki keeps each tenant's chunks under `<tenant>/`; its index, cluster seed and the compactor's deletion markers
    live elsewhere, and lifecycle rules on these prefixes must never reach the markers."""
    for tenant in tenants:
        if LOKI_DELETION_MARKER_PREFIX.startswith(f"{tenant}/") or tenant.startswith(LOKI_DELETION_MARKER_PREFIX.rstrip("/")):
            raise ValueError(f"tenant {tenant!r} would share a prefix with Loki's deletion markers ({LOKI_DELETION_MARKER_PREFIX})")
    return [f"{tenant}/" for tenant in tenants]


class StoreBase(LogStore):
    def __init__(self, type_: str, name: str, args: LogStoreArgs, opts: pulumi.ResourceOptions | None) -> None:
        super().__init__(type_, name, None, opts)
        self.args = args
        self.plan = RetentionPlan.of(args.platform)
        self.provider = args.provider
        self.region = args.store.region
        self.backend_retention_days = self.plan.backend_retention_days
        self.principal = BackendPrincipal(args.platform, args.store, args.backend_cluster, args.backend_service_account)

    def _child(self, depends_on: Sequence[pulumi.Resource] | None = None) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=depends_on)

    def _guarded(self, depends_on: Sequence[pulumi.Resource] | None = None) -> pulumi.ResourceOptions:
        """Keys and buckets in prod: `pulumi destroy`, a rename or a replacement cannot delete them."""
        prod = self.plan.prod
        return pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=depends_on, protect=prod, retain_on_delete=prod)
