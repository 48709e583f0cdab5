"""Jaeger v2 beside each store's backend, the certificates of its span path, and each cluster's mesh side of it.

    TracingPki(name, TracingPkiArgs)         the store's tracing CA, Jaeger's serving certificate, one client
                                             certificate per sending cluster -> `link: TracingLink`
    JaegerTracing(name, JaegerTracingArgs)   the jaeger chart (Jaeger v2) in the backend namespace: Secrets, the
                                             Badger volume (Loki stores), network policies, the release
    MeshSpans(name, MeshSpansArgs)           in a sending cluster: the client certificate Secret where the senders
                                             are, and (Istio) the DestinationRule that makes proxies use it

The PKI is built before the backend, whose Grafana needs the CA for its Jaeger datasource; Jaeger after it, in
its namespace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

from components.backends.base import LogBackend, backend_meta, network_policy, secret
from components.certificates import CLIENT_USES, SERVER_USES, Authority, Issued, authority, issue
from components.config.schema import ClusterConfig, PlatformConfig, StoreConfig
from components.kubernetes import service_type
from components.names import BACKEND_NAMESPACE, JAEGER_CLIENT_TLS_SECRET, JAEGER_TLS_SECRET, MANAGED_BY_LABELS
from components.pins import JAEGER_CHART
from components.tracing.jaeger_config import (
    BADGER_CLAIM,
    OTLP_GRPC_PORT,
    QUERY_HTTP_PORT,
    ZIPKIN_PORT,
    JaegerInputs,
    jaeger_values,
)
from components.tracing.link import TracingLink
from components.tracing.mesh_spans import LINKERD_JAEGER_NAMESPACE, istio_destination_rule
from components.tracing.network import tracing_policies

JAEGER_SERVICE = "jaeger"  # the chart's fullname for a release named after the chart
ENCRYPTED_STORAGE_CLASS = "logmesh-encrypted"


def tracing_host(platform: PlatformConfig, store: StoreConfig) -> str:
    """`<store>-traces.<ingest_domain>` when the store's endpoints are published, else Jaeger's Service name."""
    if platform.ingest_domain:
        return f"{store.id}-traces.{platform.ingest_domain}"
    return f"{JAEGER_SERVICE}.{BACKEND_NAMESPACE}.svc.cluster.local"


@dataclass(frozen=True)
class TracingPkiArgs:
    platform: PlatformConfig
    store: StoreConfig
    senders: tuple[ClusterConfig, ...]  # the meshed clusters whose spans go to this store


class TracingPki(pulumi.ComponentResource):
    """The store's tracing CA; it signs Jaeger's serving certificate and the one client certificate per sending
    cluster, and it is the CA Jaeger's receivers verify clients against."""

    link: TracingLink
    server: Issued
    ca: Authority
    clients: dict[str, Issued]

    def __init__(self, name: str, args: TracingPkiArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("logmesh:tracing:TracingPki", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        store = args.store.id
        self.ca = authority(f"{name}-tracing", f"logmesh {store} tracing CA", child)
        host = tracing_host(args.platform, args.store)
        service = f"{JAEGER_SERVICE}.{BACKEND_NAMESPACE}.svc"
        dns_names = list(dict.fromkeys([host, service, f"{service}.cluster.local"]))
        self.server = issue(f"{name}-tracing-server", self.ca, host, dns_names, SERVER_USES, child)
        self.clients = {
            c.id: issue(f"{name}-tracing-client-{c.id}", self.ca, f"{c.id}.spans.logmesh", [], CLIENT_USES, child) for c in args.senders
        }
        self.link = TracingLink(
            store=store,
            host=host,
            zipkin_port=ZIPKIN_PORT,
            otlp_grpc_port=OTLP_GRPC_PORT,
            query_url=f"https://{service}.cluster.local:{QUERY_HTTP_PORT}",
            ca_pem=self.ca.cert.cert_pem,
        )
        self.register_outputs({"host": host, "ca_pem": self.link.ca_pem})


@dataclass(frozen=True)
class JaegerTracingArgs:
    platform: PlatformConfig
    store_config: StoreConfig
    pki: TracingPki
    backend: LogBackend  # Jaeger runs in its namespace, after it
    storage: Literal["elasticsearch", "badger"]
    key_id: pulumi.Output[str]  # the store's KMS key: Badger's volume is encrypted with it
    index_replicas: int = 1
    depends_on: tuple[pulumi.Resource, ...] = field(default=())


class JaegerTracing(pulumi.ComponentResource):
    """The jaeger chart (Jaeger v2, one all-in-one Deployment) in the backend namespace of the store's cluster."""

    def __init__(self, name: str, args: JaegerTracingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("logmesh:tracing:JaegerTracing", name, None, opts)
        backend, pki = args.backend, args.pki
        in_namespace = pulumi.ResourceOptions.merge(backend.in_namespace, pulumi.ResourceOptions(parent=self))
        retention_days = backend.retention_days
        tls_secret = k8s.core.v1.Secret(
            f"{name}-jaeger-tls",
            metadata=backend_meta(JAEGER_TLS_SECRET),
            type="kubernetes.io/tls",
            string_data={
                "tls.crt": pki.server.cert.cert_pem,
                "tls.key": secret(pki.server.key.private_key_pem),
                "ca.crt": pki.ca.cert.cert_pem,
            },
            opts=in_namespace,
        )
        needs: list[pulumi.Resource] = [tls_secret, *args.depends_on]
        if args.storage == "badger":
            needs.append(self._badger_volume(name, args, in_namespace))
        exposed = backend.exposed
        for policy in tracing_policies(args.storage, exposed, grafana=args.storage == "badger"):
            network_policy(f"{name}-netpol-{policy.name}", policy, in_namespace)
        host = pki.link.host
        annotations = backend.load_balancer_annotations(host) if exposed else {}
        inputs = JaegerInputs(storage=args.storage, retention_days=retention_days, index_replicas=args.index_replicas)
        values = jaeger_values(inputs, service_type(exposed), annotations)
        self.release = JAEGER_CHART.release(
            f"{name}-jaeger",
            BACKEND_NAMESPACE,
            values,
            pulumi.ResourceOptions.merge(in_namespace, pulumi.ResourceOptions(depends_on=needs)),
        )
        self.host = host
        self.register_outputs({"host": host, "storage": args.storage, "retention_days": retention_days})

    @staticmethod
    def _badger_volume(name: str, args: JaegerTracingArgs, in_namespace: pulumi.ResourceOptions) -> k8s.core.v1.PersistentVolumeClaim:
        """Badger's volume, on a StorageClass that encrypts with the store's KMS key (as the bucket does)."""
        cloud = args.store_config.cloud
        if cloud == "aws":
            provisioner = "ebs.csi.aws.com"
            parameters: dict[str, pulumi.Input[str]] = {"type": "gp3", "encrypted": "true", "kmsKeyId": args.key_id}
        else:
            provisioner = "pd.csi.storage.gke.io"
            parameters = {"type": "pd-balanced", "disk-encryption-kms-key": args.key_id}
        storage_class = k8s.storage.v1.StorageClass(
            f"{name}-encrypted-storage",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ENCRYPTED_STORAGE_CLASS, labels=dict(MANAGED_BY_LABELS)),
            provisioner=provisioner,
            parameters=parameters,
            reclaim_policy="Retain" if args.platform.is_prod else "Delete",
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            opts=in_namespace,
        )
        return k8s.core.v1.PersistentVolumeClaim(
            f"{name}-badger",
            metadata=backend_meta(BADGER_CLAIM),
            spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
                access_modes=["ReadWriteOnce"],
                storage_class_name=ENCRYPTED_STORAGE_CLASS,
                resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": f"{JaegerInputs('badger', 1).badger_size_gi}Gi"}),
            ),
            opts=pulumi.ResourceOptions.merge(in_namespace, pulumi.ResourceOptions(depends_on=[storage_class])),
        )


@dataclass(frozen=True)
class MeshSpansArgs:
    cluster: ClusterConfig
    link: TracingLink
    client: Issued
    provider: k8s.Provider
    receiver: pulumi.Resource  # the store's Jaeger: proxies are pointed at it once it exists (and the diagram's edge)


class MeshSpans(pulumi.ComponentResource):
    """A sending cluster's side of the span path: its client certificate where its senders run (each Istio scope,
    or the linkerd-jaeger collector's namespace) and, for Istio, the DestinationRule that originates mutual TLS."""

    def __init__(self, name: str, args: MeshSpansArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("logmesh:tracing:MeshSpans", name, None, opts)
        cluster, link = args.cluster, args.link
        child = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[args.receiver])
        namespaces = (list(cluster.mesh_namespaces) or ["istio-system"]) if cluster.mesh == "istio" else [LINKERD_JAEGER_NAMESPACE]
        for namespace in namespaces:
            k8s.core.v1.Secret(
                f"{name}-client-tls-{namespace}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=JAEGER_CLIENT_TLS_SECRET, namespace=namespace, labels=dict(MANAGED_BY_LABELS)),
                type="kubernetes.io/tls",
                string_data={
                    "tls.crt": args.client.cert.cert_pem,
                    "tls.key": secret(args.client.key.private_key_pem),
                    "ca.crt": link.ca_pem,
                },
                opts=child,
            )
            if cluster.mesh == "istio":
                k8s.apiextensions.CustomResource(
                    f"{name}-destination-rule-{namespace}",
                    api_version="networking.istio.io/v1",
                    kind="DestinationRule",
                    metadata={"name": "logmesh-jaeger", "namespace": namespace, "labels": dict(MANAGED_BY_LABELS)},
                    spec=istio_destination_rule(link.host),
                    opts=child,
                )
        self.register_outputs({"host": link.host, "namespaces": namespaces})
