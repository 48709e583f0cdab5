"""What every aggregation tier sets up the same way: its sizing, the options of its children, the host names it
serves (in-cluster, and `<prefix>-<store>.<ingest_domain>` when published), its serving certificate, and how it
reaches its backend (the backend's in-cluster Service, its CA, its collector credential from the backend's Secret)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.aggregation.forward import (
    FORWARD_PASSWORD_ENV,
    FORWARD_USER,
    FORWARD_USERNAME_ENV,
    OUTPUT_PASSWORD_ENV,
    OUTPUT_USERNAME_ENV,
)
from components.aggregation.sizing import AggregationSizing, aggregation_sizing
from components.backends.base import backend_meta, secret, serving_tls
from components.backends.gateway import LOKI_GATEWAY_SERVICE
from components.backends.interface import BackendEndpoint
from components.backends.network import ES_HTTP_PORT, HTTPS_PORT, LOKI_GATEWAY_CONTAINER_PORT
from components.config.schema import PlatformConfig, StoreConfig
from components.kubernetes import secret_key_env
from components.names import BACKEND_NAMESPACE, ES_HTTP_SERVICE


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


def forward_credentials(
    component: pulumi.ComponentResource, name: str, prefix: str, secret_name: str, child: pulumi.ResourceOptions, shared_key: bool = False
) -> tuple[random.RandomPassword, random.RandomPassword | None, k8s.core.v1.Secret]:
    """The forward user's password (and, with `shared_key`, the forward protocol's shared key), and the Secret
    `secret_name` the tier's pods read them from."""
    random_opts = pulumi.ResourceOptions(parent=component)
    key = random.RandomPassword(f"{name}-{prefix}-shared-key", length=40, special=False, opts=random_opts) if shared_key else None
    password = random.RandomPassword(f"{name}-{prefix}-password", length=40, special=False, opts=random_opts)
    data: dict[str, pulumi.Input[str]] = {"shared_key": secret(key.result)} if key else {}
    data |= {"username": FORWARD_USER, "password": secret(password.result)}
    credentials = k8s.core.v1.Secret(
        f"{name}-{prefix}-credentials", metadata=backend_meta(secret_name), type="Opaque", string_data=data, opts=child
    )
    return password, key, credentials


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


def backend_service(kind: str) -> tuple[str, int, int]:
    """The backend's in-cluster Service host, its port, and the pod port a NetworkPolicy sees."""
    if kind == "loki":
        return f"{LOKI_GATEWAY_SERVICE}.{BACKEND_NAMESPACE}.svc.cluster.local", HTTPS_PORT, LOKI_GATEWAY_CONTAINER_PORT
    return f"{ES_HTTP_SERVICE}.{BACKEND_NAMESPACE}.svc.cluster.local", ES_HTTP_PORT, ES_HTTP_PORT


def forward_credentials_env(secret_name: str) -> list[dict[str, Any]]:
    """The forward user and password the tier accepts, from the tier's own Secret `secret_name` (forward_credentials)."""
    return [
        secret_key_env(FORWARD_USERNAME_ENV, secret_name, "username"),
        secret_key_env(FORWARD_PASSWORD_ENV, secret_name, "password"),
    ]


def backend_credentials_env(credentials_secret: str) -> list[dict[str, Any]]:
    """The backend's collector user and password from its credentials Secret (BackendEndpoint.credentials_secret, in
    the same namespace): the tier writes with the collectors' privileges, no more (on ELK the file-realm user whose
    role may only create documents in logs-logmesh-*)."""
    return [
        secret_key_env(OUTPUT_USERNAME_ENV, credentials_secret, "username"),
        secret_key_env(OUTPUT_PASSWORD_ENV, credentials_secret, "password"),
    ]


def backend_ca(name: str, args: TierArgs, configmap: str, child: pulumi.ResourceOptions) -> k8s.core.v1.ConfigMap:
    """The backend's CA certificate (no key) as `ca.crt`, which the tier verifies the backend against."""
    return k8s.core.v1.ConfigMap(f"{name}-backend-ca", metadata=backend_meta(configmap), data={"ca.crt": args.backend.ca_pem}, opts=child)
