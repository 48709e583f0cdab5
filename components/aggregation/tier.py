"""What every aggregation tier sets up the same way: its sizing, the options of its children, the host names it
serves (in-cluster, and `<prefix>-<store>.<ingest_domain>` when published) and its serving certificate."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.aggregation.forward import FORWARD_USER
from components.aggregation.sizing import AggregationSizing, aggregation_sizing
from components.backends.base import backend_meta, secret, serving_tls
from components.backends.interface import BackendEndpoint
from components.config.schema import PlatformConfig, StoreConfig
from components.names import BACKEND_NAMESPACE


@dataclass(frozen=True)
class TierArgs:
    platform: PlatformConfig
    store: StoreConfig
    backend: BackendEndpoint  # the store's backend, which the tier writes to
    provider: k8s.Provider
    exposed: bool  # the backend is published for collectors in other clusters: so is the tier
    depends_on: tuple[pulumi.Resource, ...] = ()


@dataclass(frozen=True)
class TierBase:
    sizing: AggregationSizing
    child: pulumi.ResourceOptions  # in the backend's cluster, after the backend
    external: str | None  # the published host name, when the backend is published for other clusters
    host: str  # what collectors connect to: the published name, or the in-cluster Service name
    ca_pem: pulumi.Output[str]
    tls_secret: k8s.core.v1.Secret


def tier_base(
    component: pulumi.ComponentResource,
    name: str,
    args: TierArgs,
    service: str,
    host_prefix: str,
    tls_secret_name: str,
    purpose: str,
    pkcs8: bool = False,
) -> TierBase:
    platform, store = args.platform, args.store
    sizing = aggregation_sizing(platform.environment, platform.daily_volume_gb, platform.outage_window_hours)
    child = pulumi.ResourceOptions(parent=component, provider=args.provider, depends_on=list(args.depends_on))
    domain = platform.ingest_domain
    external = f"{host_prefix}-{store.id}.{domain}" if args.exposed and domain else None
    service_dns = [f"{service}.{BACKEND_NAMESPACE}.svc", f"{service}.{BACKEND_NAMESPACE}.svc.cluster.local"]
    ca_pem, tls_secret = serving_tls(
        name,
        f"logmesh {store.id} {purpose} CA",
        [*([external] if external else []), *service_dns],
        backend_meta(tls_secret_name),
        component,
        child,
        purpose=purpose,
        pkcs8=pkcs8,
    )
    return TierBase(sizing, child, external, external or service_dns[1], ca_pem, tls_secret)


def tier_endpoint(
    args: TierArgs,
    base: TierBase,
    port: int,
    credentials_secret: str,
    via: str,
    password: random.RandomPassword,
    shared_key: random.RandomPassword | None = None,
) -> BackendEndpoint:
    """Where the store's collectors ship once a tier stands in front of its backend: the tier's host and CA, the
    forward user, and the backend's tenants or data streams, which the tier keeps."""
    return BackendEndpoint(
        store=args.store.id,
        kind=args.backend.kind,
        host=base.host,
        port=port,
        path="",
        ca_pem=base.ca_pem,
        username=FORWARD_USER,
        password=secret(password.result),
        tenants=args.backend.tenants,
        index_prefix=args.backend.index_prefix,
        credentials_secret=credentials_secret,
        via=via,
        shared_key=secret(shared_key.result) if shared_key is not None else None,
    )
