"""A Fluentd aggregation tier next to a store's backend (fluent/helm-charts `fluentd`, a StatefulSet): collectors
forward to it over verified TLS with a shared key and a user, it buffers on a PersistentVolume per replica and
writes to the backend as the collectors would (the backend's TLS, its collector credential from its Secret).

It runs in the backend's `logging` namespace, so the namespace's restricted Pod Security, its default-deny network
policy and the backend's identity and retention rules apply to it as well."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.aggregation.fluentd_config import (
    BACKEND_CA_DIR,
    FORWARD_PORT,
    SHARED_KEY_ENV,
    TLS_DIR,
    FluentdOutput,
    fluentd_output,
    fluentd_source,
)
from components.aggregation.fluentd_mesh import fluentd_mesh_filters
from components.aggregation.sizing import AggregationSizing
from components.aggregation.tier import (
    TierArgs,
    backend_ca,
    backend_credentials_env,
    backend_service,
    forward_credentials,
    forward_credentials_env,
    tier_base,
    tier_endpoint,
)
from components.backends.base import backend_meta, internal_load_balancer, network_policy_resources
from components.backends.interface import BackendEndpoint
from components.backends.network import ES_SELECTOR, LOKI_GATEWAY_SELECTOR, Policy, Rule, ingest_sources, peer, ports
from components.kubernetes import restricted_pod_security, secret_key_env, service_type
from components.names import BACKEND_NAMESPACE
from components.pins import FLUENTD_CHART, FLUENTD_IMAGES

FLUENTD_SELECTOR = {"app.kubernetes.io/name": "fluentd", "app.kubernetes.io/instance": FLUENTD_CHART.name}
FLUENTD_SERVICE = "fluentd"
FORWARD_SECRET = "fluentd-forward-credentials"
FORWARD_TLS_SECRET = "fluentd-forward-tls"
BACKEND_CA_CONFIGMAP = "fluentd-backend-ca"
# The fluent user of the fluent/fluentd images.
FLUENTD_UID = 999
RESOURCES = {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}


FluentdArgs = TierArgs


def fluentd_policies(kind: str, exposed: bool) -> list[Policy]:
    """Collectors to the tier's forward port; the tier to the backend, and the backend admitting the tier."""
    _, _, pod_port = backend_service(kind)
    target = LOKI_GATEWAY_SELECTOR if kind == "loki" else ES_SELECTOR
    return [
        Policy("collectors-to-fluentd", FLUENTD_SELECTOR, ingress=[Rule(ports(FORWARD_PORT), ingest_sources(exposed))]),
        Policy("fluentd-egress", FLUENTD_SELECTOR, egress=[Rule(ports(pod_port), [peer(target)])]),
        Policy("fluentd-to-backend", target, ingress=[Rule(ports(pod_port), [peer(FLUENTD_SELECTOR)])]),
    ]


def fluentd_values(args: FluentdArgs, sizing: AggregationSizing, load_balancer: dict[str, str]) -> dict[str, Any]:
    host, port, _ = backend_service(args.backend.kind)
    output = FluentdOutput(args.backend.kind, host, port, args.backend.path, sizing.buffer_limit)
    container_security = {
        "runAsNonRoot": True,
        "runAsUser": FLUENTD_UID,
        "runAsGroup": FLUENTD_UID,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    return {
        "kind": "StatefulSet",
        "replicaCount": sizing.replicas,
        "image": {"repository": FLUENTD_IMAGES[args.backend.kind][0], "tag": FLUENTD_IMAGES[args.backend.kind][1]},
        # Its own account (FluentdAggregator), which mounts no token: the chart's cannot say so.
        "serviceAccount": {"create": False, "name": FLUENTD_SERVICE},
        # The tier reads no Kubernetes API: the collectors enrich records before forwarding.
        "rbac": {"create": False},
        "podSecurityPolicy": {"enabled": False},
        "podSecurityContext": {**restricted_pod_security(), "fsGroup": FLUENTD_UID},
        "securityContext": container_security,
        "resources": RESOURCES,
        "podLabels": dict(FLUENTD_SELECTOR),
        "mountVarLogDirectory": False,
        "mountDockerContainersDirectory": False,
        # A boolean: the chart's default is the string "true", and a string "false" is true to Helm.
        "dashboards": {"enabled": False},
        # The chart's probes call the metrics port, which only its default (replaced) sources serve.
        "livenessProbe": {"tcpSocket": {"port": "forward"}},
        "readinessProbe": {"tcpSocket": {"port": "forward"}},
        "persistence": {"enabled": True, "accessMode": "ReadWriteOnce", "size": sizing.volume},
        "service": {
            "type": service_type(args.exposed),
            "annotations": load_balancer,
            "ports": [{"name": "forward", "containerPort": FORWARD_PORT, "protocol": "TCP"}],
        },
        "env": [
            secret_key_env(SHARED_KEY_ENV, FORWARD_SECRET, "shared_key"),
            *forward_credentials_env(FORWARD_SECRET),
            *backend_credentials_env(args.backend.credentials_secret),
        ],
        "volumes": [
            {
                "name": "forward-tls",
                "secret": {"secretName": FORWARD_TLS_SECRET, "items": [{"key": k, "path": k} for k in ("tls.crt", "tls.key")]},
            },
            {"name": "backend-ca", "configMap": {"name": BACKEND_CA_CONFIGMAP}},
            {"name": "tmp", "emptyDir": {}},
        ],
        "volumeMounts": [
            {"name": "forward-tls", "mountPath": TLS_DIR, "readOnly": True},
            {"name": "backend-ca", "mountPath": BACKEND_CA_DIR, "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
        # The chart's default sources tail the node's files and its dispatch writes to Elasticsearch in clear: replaced.
        # The mesh filters come before the output's <match kube.**> (the chart includes the files in name order).
        "fileConfigs": {
            "01_sources.conf": fluentd_source(),
            "02_filters.conf": fluentd_mesh_filters(),
            "03_dispatch.conf": "",
            "04_outputs.conf": fluentd_output(output),
        },
    }


class FluentdAggregator(pulumi.ComponentResource):
    """The Fluentd tier of one store; `endpoint` is what that store's collectors forward to."""

    endpoint: BackendEndpoint
    host: pulumi.Output[str]
    replicas: pulumi.Output[int]
    buffer_volume: pulumi.Output[str]

    def __init__(self, name: str, args: FluentdArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("logmesh:aggregation:FluentdAggregator", name, None, opts)
        store = args.store
        base = tier_base(self, name, args, FLUENTD_SERVICE, "forward", FORWARD_TLS_SECRET, "forward")
        self.sizing, child, external, ca_pem, tls_secret = base.sizing, base.child, base.external, base.ca_pem, base.tls_secret
        password, shared_key, credentials = forward_credentials(self, name, "forward", FORWARD_SECRET, child, shared_key=True)
        ca = backend_ca(name, args, BACKEND_CA_CONFIGMAP, child)
        account = k8s.core.v1.ServiceAccount(
            f"{name}-sa", metadata=backend_meta(FLUENTD_SERVICE), automount_service_account_token=False, opts=child
        )
        policies = network_policy_resources(name, fluentd_policies(args.backend.kind, args.exposed), child)
        load_balancer = internal_load_balancer(store.cloud, external)
        release_opts = pulumi.ResourceOptions.merge(
            child, pulumi.ResourceOptions(depends_on=[tls_secret, credentials, ca, account, *policies])
        )
        self.release = FLUENTD_CHART.release(
            f"{name}-fluentd", BACKEND_NAMESPACE, fluentd_values(args, self.sizing, load_balancer), release_opts
        )
        self.endpoint = tier_endpoint(args, base, FORWARD_PORT, FORWARD_SECRET, "fluentd", password, shared_key)
        self.host = pulumi.Output.from_input(self.endpoint.host)
        self.replicas = pulumi.Output.from_input(self.sizing.replicas)
        self.buffer_volume = pulumi.Output.from_input(self.sizing.volume)
        self.register_outputs({"host": self.host, "replicas": self.replicas, "buffer_volume": self.buffer_volume, "ca_pem": ca_pem})
