"""Jaeger v2's own configuration (an OpenTelemetry Collector configuration) and the chart values that deploy it.

Pure data in, data out. Every receiver (OTLP gRPC, OTLP HTTP, Zipkin) serves TLS with the store's tracing
certificate and requires a client certificate signed by the store's tracing CA (`client_ca_file`): a sender
without one cannot open a connection, so no span arrives unauthenticated or in plaintext. Spans go to the store's
Elasticsearch on ELK, or to Badger on an encrypted volume beside Loki (Jaeger v2 has no object-storage backend).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from components.backends.network import ES_HTTP_PORT
from components.kubernetes import non_root_pod_security
from components.names import (
    BACKEND_NAMESPACE,
    ELASTICSEARCH_HTTP_TLS_SECRET,
    ES_HTTP_SERVICE,
    JAEGER_ES_USER_SECRET,
    JAEGER_TLS_SECRET,
    TRACE_ILM_POLICY,
    TRACE_INDEX_PREFIX,
)

OTLP_GRPC_PORT = 4317
OTLP_HTTP_PORT = 4318
ZIPKIN_PORT = 9411
QUERY_HTTP_PORT = 16686
HEALTH_PORT = 13133
RECEIVER_PORTS = (OTLP_GRPC_PORT, OTLP_HTTP_PORT, ZIPKIN_PORT)
JAEGER_USER = "jaeger"
JAEGER_ES_ROLE = "logmesh_traces"
TLS_DIR = "/etc/jaeger/tls"
ES_USER_DIR = "/etc/jaeger/es-user"
ES_CA_DIR = "/etc/jaeger/es-tls"
BADGER_DIR = "/badger"
BADGER_CLAIM = "jaeger-badger"
# Jaeger's index templates on ELK, as its `elasticsearch-mappings` renders them into the setup Job's /tmp.
TRACE_MAPPINGS = ("jaeger-span", "jaeger-service")
TRACE_MAPPINGS_DIR = "/tmp/jaeger-mappings"
JAEGER_BINARY = "/cmd/jaeger/jaeger-linux"  # the image's entrypoint (cmd/jaeger/Dockerfile)


@dataclass(frozen=True)
class JaegerInputs:
    storage: Literal["elasticsearch", "badger"]
    retention_days: int  # the store's hot_days (RetentionPlan.backend_retention_days)
    index_replicas: int = 1
    badger_size_gi: int = 50
    storage_class: str = ""  # Badger: the encrypted StorageClass its volume claims


def server_tls() -> dict[str, str]:
    """TLS every Jaeger listener serves, with client certificates required where `client_ca_file` is set."""
    return {"cert_file": f"{TLS_DIR}/tls.crt", "key_file": f"{TLS_DIR}/tls.key", "min_version": "1.2"}


def receiver_tls() -> dict[str, str]:
    return {**server_tls(), "client_ca_file": f"{TLS_DIR}/ca.crt"}


def receivers() -> dict[str, Any]:
    return {
        "otlp": {
            "protocols": {
                "grpc": {"endpoint": f"0.0.0.0:{OTLP_GRPC_PORT}", "tls": receiver_tls()},
                "http": {"endpoint": f"0.0.0.0:{OTLP_HTTP_PORT}", "tls": receiver_tls()},
            }
        },
        "zipkin": {"endpoint": f"0.0.0.0:{ZIPKIN_PORT}", "tls": receiver_tls()},
    }


def jaeger_role() -> dict[str, Any]:
    """Jaeger's Elasticsearch role: its span and service indices, nothing else (the setup Job installs its index
    templates, mappings_script)."""
    return {
        "cluster": ["monitor"],
        "indices": [
            {
                "names": [f"{TRACE_INDEX_PREFIX}-jaeger-*"],
                "privileges": ["create_index", "create_doc", "index", "read", "view_index_metadata"],
            }
        ],
    }


def storage_backend(inputs: JaegerInputs) -> dict[str, Any]:
    if inputs.storage == "elasticsearch":
        daily = {"date_layout": "2006-01-02", "rollover_frequency": "day", "shards": 1, "replicas": inputs.index_replicas}
        return {
            "elasticsearch": {
                "server_urls": [f"https://{ES_HTTP_SERVICE}.{BACKEND_NAMESPACE}.svc:{ES_HTTP_PORT}"],
                "tls": {"ca_file": f"{ES_CA_DIR}/ca.crt"},
                "auth": {"basic": {"username": JAEGER_USER, "password_file": f"{ES_USER_DIR}/password"}},
                "indices": {"index_prefix": TRACE_INDEX_PREFIX, "spans": daily, "services": daily},
                # The setup Job installs Jaeger's templates with the ILM policy that deletes the indices; Jaeger
                # would replace them with its own (no policy) on every start.
                "create_mappings": False,
                # Reads never reach past what the store keeps queryable.
                "max_span_age": f"{inputs.retention_days * 24}h",
            }
        }
    return {
        "badger": {
            "directories": {"keys": f"{BADGER_DIR}/keys", "values": f"{BADGER_DIR}/values"},
            "ephemeral": False,
            "ttl": {"spans": f"{inputs.retention_days * 24}h"},
        }
    }


def mappings_script(index_replicas: int) -> str:
    """The setup Job's init container (the Jaeger image): Jaeger's own span and service index templates for
    Elasticsearch 8+ (v9 uses the v8 templates), naming the ILM policy that deletes the daily indices.

    `--use-ilm true` only adds the policy (and a read alias, unused with daily indices) to the templates; Jaeger
    itself runs without `use_ilm`, which would require write aliases and es-rollover's init."""
    command = (
        f'{JAEGER_BINARY} elasticsearch-mappings --mapping "$mapping" --es-version 8 --index-prefix {TRACE_INDEX_PREFIX} '
        f"--shards 1 --replicas {index_replicas} --use-ilm true --ilm-policy-name {TRACE_ILM_POLICY}"
    )
    return (
        "set -eu\n"
        f"mkdir -p {TRACE_MAPPINGS_DIR}\n"
        f"for mapping in {' '.join(TRACE_MAPPINGS)}; do\n"
        f'  {command} > "{TRACE_MAPPINGS_DIR}/$mapping.json"\n'
        "done\n"
    )


def jaeger_config(inputs: JaegerInputs) -> dict[str, Any]:
    """Jaeger v2's configuration file (cmd/jaeger/config-*.yaml in jaegertracing/jaeger v2.19.0 has the shape)."""
    return {
        "service": {
            "extensions": ["jaeger_storage", "jaeger_query", "healthcheckv2"],
            "pipelines": {"traces": {"receivers": ["otlp", "zipkin"], "processors": ["batch"], "exporters": ["jaeger_storage_exporter"]}},
        },
        "extensions": {
            "healthcheckv2": {"use_v2": True, "http": {"endpoint": f"0.0.0.0:{HEALTH_PORT}"}},
            "jaeger_query": {
                "storage": {"traces": "primary"},
                "http": {"endpoint": f"0.0.0.0:{QUERY_HTTP_PORT}", "tls": server_tls()},
            },
            "jaeger_storage": {"backends": {"primary": storage_backend(inputs)}},
        },
        "receivers": receivers(),
        "processors": {"batch": {}},
        "exporters": {"jaeger_storage_exporter": {"trace_storage": "primary"}},
    }


def _volumes(inputs: JaegerInputs) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    volumes: list[dict[str, Any]] = [{"name": "tls", "secret": {"secretName": JAEGER_TLS_SECRET, "defaultMode": 0o440}}]
    mounts: list[dict[str, Any]] = [{"name": "tls", "mountPath": TLS_DIR, "readOnly": True}]
    if inputs.storage == "elasticsearch":
        volumes.append(
            {"name": "es-user", "secret": {"secretName": JAEGER_ES_USER_SECRET, "items": [{"key": "password", "path": "password"}]}}
        )
        volumes.append(
            {"name": "es-tls", "secret": {"secretName": ELASTICSEARCH_HTTP_TLS_SECRET, "items": [{"key": "ca.crt", "path": "ca.crt"}]}}
        )
        mounts += [
            {"name": "es-user", "mountPath": ES_USER_DIR, "readOnly": True},
            {"name": "es-tls", "mountPath": ES_CA_DIR, "readOnly": True},
        ]
    else:
        volumes.append({"name": "badger", "persistentVolumeClaim": {"claimName": BADGER_CLAIM}})
        mounts.append({"name": "badger", "mountPath": BADGER_DIR})
    return volumes, mounts


def jaeger_values(inputs: JaegerInputs, service_type: str, annotations: dict[str, str]) -> dict[str, Any]:
    """The jaegertracing `jaeger` chart's values (4.x deploys Jaeger v2 as one `all-in-one` Deployment)."""
    volumes, mounts = _volumes(inputs)
    return {
        "userconfig": jaeger_config(inputs),
        "storage": {"type": inputs.storage},
        "jaeger": {
            # Badger is one writer on one volume: a single replica, replaced (never rolled) on a change.
            "replicas": 1,
            "strategy": {"type": "Recreate"},
            "serviceAccount": {"automountServiceAccountToken": False},
            "service": {"type": service_type, "annotations": annotations},
            "podSecurityContext": non_root_pod_security(10001),
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "runAsNonRoot": True,
                "capabilities": {"drop": ["ALL"]},
            },
            "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}},
            "extraVolumes": volumes,
            "extraVolumeMounts": mounts,
        },
    }
