"""How the meshes send spans to the store's Jaeger, as data (the components register it; docs/tracing.md shows it).

Istio: the Telemetry that turns on access logs also selects the `logmesh-zipkin` tracing provider at the stack's
sampling rate; a DestinationRule makes every proxy open the connection to Jaeger's Zipkin receiver with mutual TLS
(its client certificate from `jaeger-client-tls`, the receiver's name verified). The provider lives in the Istio
installation's MeshConfig, like the access-log provider (components/mesh.py).

Linkerd: proxies send to the linkerd-jaeger extension's collector (`config.linkerd.io/trace-collector`); that hop is
Linkerd's own mTLS with the collector's identity pinned. The collector forwards over OTLP/gRPC with mutual TLS.
"""

from __future__ import annotations

from typing import Any

from components.names import JAEGER_CLIENT_TLS_SECRET
from components.tracing.jaeger_config import OTLP_GRPC_PORT, ZIPKIN_PORT

ISTIO_TRACING_PROVIDER_NAME = "logmesh-zipkin"
LINKERD_JAEGER_NAMESPACE = "linkerd-jaeger"
LINKERD_COLLECTOR = f"collector.{LINKERD_JAEGER_NAMESPACE}.svc.cluster.local:55678"
LINKERD_COLLECTOR_SERVICE_ACCOUNT = "collector"
# Where the linkerd-jaeger collector mounts `jaeger-client-tls` (collector.extraVolumes / extraVolumeMounts).
LINKERD_CLIENT_TLS_DIR = "/etc/logmesh/jaeger-client-tls"


def istio_tracing_provider(host: str) -> dict[str, Any]:
    """The MeshConfig extension provider: Zipkin to the store's Jaeger."""
    return {"name": ISTIO_TRACING_PROVIDER_NAME, "zipkin": {"service": host, "port": ZIPKIN_PORT}}


def istio_telemetry_tracing(sampling_percent: float) -> list[dict[str, Any]]:
    """The Telemetry `tracing` section."""
    return [{"providers": [{"name": ISTIO_TRACING_PROVIDER_NAME}], "randomSamplingPercentage": sampling_percent}]


def istio_destination_rule(host: str) -> dict[str, Any]:
    """Mutual TLS from the proxies to the Zipkin receiver (the Secret sits in the namespace of the proxies)."""
    return {
        "host": host,
        "exportTo": ["."],
        "trafficPolicy": {
            "portLevelSettings": [
                {"port": {"number": ZIPKIN_PORT}, "tls": {"mode": "MUTUAL", "credentialName": JAEGER_CLIENT_TLS_SECRET, "sni": host}}
            ]
        },
    }


def linkerd_trace_annotations() -> dict[str, str]:
    return {
        "config.linkerd.io/trace-collector": LINKERD_COLLECTOR,
        "config.alpha.linkerd.io/trace-collector-service-account": LINKERD_COLLECTOR_SERVICE_ACCOUNT,
    }


def linkerd_collector_config(host: str) -> dict[str, Any]:
    """The linkerd-jaeger collector's configuration (its chart's `collector.config`): receive from the proxies,
    forward to the store's Jaeger with the cluster's client certificate."""
    return {
        "receivers": {"opencensus": {"endpoint": "0.0.0.0:55678"}, "otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317"}}}},
        "processors": {"batch": {}},
        "exporters": {
            "otlp/logmesh": {
                "endpoint": f"{host}:{OTLP_GRPC_PORT}",
                "tls": {
                    "ca_file": f"{LINKERD_CLIENT_TLS_DIR}/ca.crt",
                    "cert_file": f"{LINKERD_CLIENT_TLS_DIR}/tls.crt",
                    "key_file": f"{LINKERD_CLIENT_TLS_DIR}/tls.key",
                },
            }
        },
        "service": {"pipelines": {"traces": {"receivers": ["opencensus", "otlp"], "processors": ["batch"], "exporters": ["otlp/logmesh"]}}},
    }
