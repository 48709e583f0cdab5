"""What a backend takes and what it gives: the contract between stores, backends, collectors and alert rules.

    BackendArgs(platform, store_config, store: BackendStore, cluster, provider: k8s.Provider)
    LokiBackend / ElkBackend(name, args, opts) -> a LogBackend with
        endpoint: BackendEndpoint   where and how collectors ship to this backend

Each backend runs in the `logging` namespace of its store's cluster, under the service account the store's
workload identity trusts, and serves its ingest endpoint over TLS from a per-store CA with a generated
credential. Credentials exist only as Pulumi secrets and in Kubernetes Secrets: never in Helm values,
ConfigMaps or environment variables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import pulumi
import pulumi_kubernetes as k8s

from components.config.schema import ClusterConfig, PlatformConfig, StoreConfig
from components.tracing.link import TracingLink

# The user collectors authenticate as on either backend.
COLLECTOR_USER = "collector"


@dataclass(frozen=True)
class BackendEndpoint:
    """What a collector in any cluster needs to ship to a store's backend over verified TLS."""

    store: str
    kind: Literal["loki", "elk"]
    host: pulumi.Input[str]  # DNS name the collectors connect to (TLS server name)
    port: int
    path: str  # push path: /loki/api/v1/push for Loki; "" for Elasticsearch
    ca_pem: pulumi.Output[str]  # CA certificate that signed the endpoint's serving certificate
    username: pulumi.Input[str]
    password: pulumi.Output[str]  # a Pulumi secret; lives only in Kubernetes Secrets on the clusters
    # Loki: the X-Scope-OrgID each cluster must send (its own name); the gateway refuses any other tenant.
    tenants: tuple[str, ...] = ()
    # ELK: collectors write to the data stream `<index_prefix><cluster>` with op_type create.
    index_prefix: str = ""
    # Secret in the backend cluster's `logging` namespace with keys `username` and `password` (same credential).
    credentials_secret: str = ""
    # An aggregation tier's endpoint (components/aggregation/): which tier, and the forward protocol's shared key (a
    # Pulumi secret) that collectors send besides username and password. `kind` stays the backend's behind the tier.
    via: str = ""
    shared_key: pulumi.Output[str] | None = None


class BackendStore(Protocol):
    """The store outputs a backend uses (components/storage/interface.py LogStore has them all)."""

    @property
    def bucket_name(self) -> pulumi.Output[str]: ...
    @property
    def key_id(self) -> pulumi.Output[str]: ...
    @property
    def identity(self) -> pulumi.Output[str]: ...
    @property
    def identity_annotations(self) -> pulumi.Output[dict[str, str]]: ...
    @property
    def region(self) -> str: ...
    @property
    def backend_retention_days(self) -> int: ...


@dataclass(frozen=True)
class BackendArgs:
    platform: PlatformConfig
    store_config: StoreConfig
    store: BackendStore
    cluster: ClusterConfig  # the cluster the backend runs on (store_config.cluster)
    provider: k8s.Provider
    tracing: TracingLink | None = None  # the store's Jaeger, when logmesh:tracing is set (Grafana links to it)
