"""A Logstash aggregation tier in front of Elasticsearch: ECK's Logstash resource (the eck-operator the ELK backend
already runs), a persistent queue on a PersistentVolumeClaim per replica sized by sizing.py, a pipeline
(logstash_config.py) whose `http` input accepts only TLS with basic auth and whose output writes each cluster's
data stream as the backend's collector user (its Secret), verifying the backend's CA, like the Fluentd tier. No
`elasticsearchRefs`: ECK's association user holds ECK's fixed `eck_logstash_user_role` (manage and read on logs-*,
metrics-*, traces-* and more), far more than creating documents in logs-logmesh-*.

Collectors reach it with Fluent Bit's `http` output: the one Fluent Bit output with verified TLS and a user and
password that a stock Logstash input accepts (Logstash has no forward-protocol input; its `beats` input
authenticates only client certificates). It runs in the backend's `logging` namespace, under the namespace's
restricted Pod Security and default-deny network policy, like the Fluentd tier."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.aggregation.logstash_config import BACKEND_CA_DIR, INGEST_PORT, TLS_DIR, logstash_pipeline
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
from components.backends.network import ES_HTTP_PORT, ES_SELECTOR, Policy, Rule, ingest_sources, peer, ports
from components.kubernetes import restricted_pod_security, service_type
from components.pins import ELASTIC_STACK_VERSION

LOGSTASH_NAME = "logstash"
# ECK labels a Logstash resource's pods `logstash.k8s.elastic.co/name: <name>`.
LOGSTASH_SELECTOR = {"logstash.k8s.elastic.co/name": LOGSTASH_NAME}
# ECK names a Logstash resource's services `<name>-ls-<service name>`.
INGEST_SERVICE = f"{LOGSTASH_NAME}-ls-ingest"
FORWARD_SECRET = "logstash-forward-credentials"
FORWARD_TLS_SECRET = "logstash-forward-tls"
BACKEND_CA_CONFIGMAP = "logstash-backend-ca"
# The logstash user of the official image.
LOGSTASH_UID = 1000
RESOURCES = {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}}


LogstashArgs = TierArgs


def logstash_policies(exposed: bool) -> list[Policy]:
    """Collectors to the http input; Logstash to Elasticsearch's HTTP port, and Elasticsearch admitting it."""
    return [
        Policy("collectors-to-logstash", LOGSTASH_SELECTOR, ingress=[Rule(ports(INGEST_PORT), ingest_sources(exposed))]),
        Policy("logstash-egress", LOGSTASH_SELECTOR, egress=[Rule(ports(ES_HTTP_PORT), [peer(ES_SELECTOR)])]),
        Policy("logstash-to-backend", ES_SELECTOR, ingress=[Rule(ports(ES_HTTP_PORT), [peer(LOGSTASH_SELECTOR)])]),
    ]


def logstash_spec(sizing: AggregationSizing, service_type: str, load_balancer: dict[str, str], backend_credentials: str) -> dict[str, Any]:
    """The Logstash resource's spec: replicas, the pipeline with its persistent queue, the queue's volume; it writes
    as the user of the `backend_credentials` Secret."""
    host, port, _ = backend_service("elk")
    container = {
        "name": "logstash",
        "resources": RESOURCES,
        "env": [
            *forward_credentials_env(FORWARD_SECRET),
            *backend_credentials_env(backend_credentials),
        ],
        "volumeMounts": [
            {"name": "forward-tls", "mountPath": TLS_DIR, "readOnly": True},
            {"name": "backend-ca", "mountPath": BACKEND_CA_DIR, "readOnly": True},
        ],
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": LOGSTASH_UID,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    return {
        "version": ELASTIC_STACK_VERSION,
        "count": sizing.replicas,
        "pipelines": [
            {
                "pipeline.id": "logmesh",
                "config.string": logstash_pipeline(f"https://{host}:{port}", INGEST_PORT),
                # Acknowledged to the collector only once on disk; blocks (never drops) when full.
                "queue.type": "persisted",
                "queue.max_bytes": f"{sizing.buffer_limit_mb}mb",
            }
        ],
        "services": [
            {
                "name": "ingest",
                "service": {
                    "metadata": {"annotations": load_balancer},
                    "spec": {"type": service_type, "ports": [{"name": "https", "port": INGEST_PORT, "protocol": "TCP"}]},
                },
            }
        ],
        # ECK mounts `logstash-data` at path.data, where the persistent queue lives.
        "volumeClaimTemplates": [
            {
                "metadata": {"name": "logstash-data"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": sizing.volume}}},
            }
        ],
        "podTemplate": {
            "metadata": {"labels": dict(LOGSTASH_SELECTOR)},
            "spec": {
                "automountServiceAccountToken": False,
                "securityContext": {**restricted_pod_security(), "fsGroup": LOGSTASH_UID},
                "containers": [container],
                "volumes": [
                    {"name": "forward-tls", "secret": {"secretName": FORWARD_TLS_SECRET}},
                    {"name": "backend-ca", "configMap": {"name": BACKEND_CA_CONFIGMAP}},
                ],
            },
        },
    }


class LogstashAggregator(pulumi.ComponentResource):
    """The Logstash tier of one ELK store; `endpoint` is what that store's collectors send to."""

    endpoint: BackendEndpoint

    def __init__(self, name: str, args: LogstashArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("logmesh:aggregation:LogstashAggregator", name, None, opts)
        store = args.store
        base = tier_base(self, name, args, INGEST_SERVICE, "logstash", FORWARD_TLS_SECRET, "logstash", pkcs8=True)
        self.sizing, child, external, ca_pem, tls_secret = base.sizing, base.child, base.external, base.ca_pem, base.tls_secret
        password, _, credentials = forward_credentials(self, name, "logstash", FORWARD_SECRET, child)
        ca = backend_ca(name, args, BACKEND_CA_CONFIGMAP, child)
        policies = network_policy_resources(name, logstash_policies(args.exposed), child)
        load_balancer = internal_load_balancer(store.cloud, external)
        spec = logstash_spec(self.sizing, service_type(args.exposed), load_balancer, args.backend.credentials_secret)
        self.logstash = k8s.apiextensions.CustomResource(
            f"{name}-logstash",
            api_version="logstash.k8s.elastic.co/v1alpha1",
            kind="Logstash",
            metadata=backend_meta(LOGSTASH_NAME),
            spec=spec,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[tls_secret, credentials, ca, *policies])),
        )
        self.endpoint = tier_endpoint(args, base, INGEST_PORT, FORWARD_SECRET, "logstash", password)
        self.register_outputs({"host": self.endpoint.host, "replicas": self.sizing.replicas, "ca_pem": ca_pem})
