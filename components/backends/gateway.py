"""The Loki chart's nginx gateway: TLS, basic authentication and the per-user access map in front of Loki."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from components.backends.base import secret
from components.backends.interface import COLLECTOR_USER
from components.backends.network import HTTPS_PORT, LOKI_GATEWAY_CONTAINER_PORT
from components.kubernetes import service_type
from components.names import LOKI_GATEWAY_HTPASSWD_SECRET, LOKI_GATEWAY_TLS_SECRET

LOKI_PUSH_PATH = "/loki/api/v1/push"
LOKI_GATEWAY_SERVICE = "loki-gateway"
GRAFANA_READER_USER = "grafana"
TENANT_HEADER = "X-Scope-OrgID"

# What the Grafana reader may call through the gateway: Loki's query API (`/loki/api/v1/...`: query, labels, series,
# index stats, tail, rules read) and the Prometheus-style rule and alert lists. Everything else the chart's gateway
# routes is operations, not reading: /flush, /ingester/shutdown, the rings, /config and the compactor's
# /loki/api/v1/delete (a log deletion request) and /loki/api/v1/cache/generation_numbers.
LOKI_READER_DENIED_PATHS = (LOKI_PUSH_PATH, "/loki/api/v1/delete", "/loki/api/v1/cache/")
LOKI_READER_PATHS = ("/loki/api/v1/", "/prometheus/api/v1/rules:", "/prometheus/api/v1/alerts:")


def loki_gateway_access_map(tenants: Sequence[str]) -> str:
    """nginx `map` deciding per request whether the gateway refuses it (1) before authentication runs.

    nginx tries the exact keys first, then the regular expressions in order. The collector credential may only
    push, and only as one of the store's tenants; the Grafana reader may only read (LOKI_READER_PATHS, never
    LOKI_READER_DENIED_PATHS); the unauthenticated health check on `/` stays open. auth_basic still checks the
    password of every request this lets through."""
    lines = [
        f'map "$remote_user:$uri:$http_{TENANT_HEADER.lower().replace("-", "_")}" $logmesh_forbidden {{',
        "  default 1;",
        '  ":/:" 0;',
        *(f'  "{COLLECTOR_USER}:{LOKI_PUSH_PATH}:{tenant}" 0;' for tenant in tenants),
        *(f'  "~^{GRAFANA_READER_USER}:{path}{"" if path.endswith("/") else ":"}" 1;' for path in LOKI_READER_DENIED_PATHS),
        *(f'  "~^{GRAFANA_READER_USER}:{path}" 0;' for path in LOKI_READER_PATHS),
        "}",
    ]
    return "\n".join(lines) + "\n"


def htpasswd(entries: Sequence[tuple[str, pulumi.Output[str]]]) -> pulumi.Output[str]:
    return secret(
        pulumi.Output.all(*[hash_ for _, hash_ in entries]).apply(
            lambda hashes: "".join(f"{user}:{h}\n" for (user, _), h in zip(entries, hashes, strict=True))
        )
    )


def gateway_values(tenants: Sequence[str], replicas: int, exposed: bool, annotations: dict[str, str]) -> dict[str, Any]:
    """The chart's `gateway` values: TLS from the ingest Secret, basic auth from the htpasswd Secret, the access map."""
    return {
        "enabled": True,
        "replicas": replicas,
        "containerPort": LOKI_GATEWAY_CONTAINER_PORT,
        "service": {
            "type": service_type(exposed),
            "port": HTTPS_PORT,
            "annotations": annotations,
        },
        "basicAuth": {"enabled": True, "existingSecret": LOKI_GATEWAY_HTPASSWD_SECRET},
        "extraVolumes": [{"name": "ingest-tls", "secret": {"secretName": LOKI_GATEWAY_TLS_SECRET}}],
        "extraVolumeMounts": [{"name": "ingest-tls", "mountPath": "/etc/nginx/tls", "readOnly": True}],
        "readinessProbe": {
            "httpGet": {"path": "/", "port": "http", "scheme": "HTTPS"},
            "initialDelaySeconds": 15,
            "timeoutSeconds": 1,
        },
        # The access-log exporter reads nginx's stub_status over plain HTTP, which the TLS listener refuses.
        "metrics": {"enabled": False},
        "nginxConfig": {
            "ssl": True,
            "serverSnippet": (
                "ssl_certificate /etc/nginx/tls/tls.crt;\nssl_certificate_key /etc/nginx/tls/tls.key;\nssl_protocols TLSv1.2 TLSv1.3;\n"
            ),
            "httpSnippet": loki_gateway_access_map(tenants),
            "locationSnippet": "if ($logmesh_forbidden) { return 403; }",
        },
    }
