"""Grafana beside Loki: its chart values and the Loki datasource it reads every tenant of the store with."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from components.backends.gateway import GRAFANA_READER_USER, LOKI_GATEWAY_SERVICE, TENANT_HEADER
from components.names import BACKEND_NAMESPACE, GRAFANA_ADMIN_SECRET, GRAFANA_DATASOURCE_SECRET
from components.tracing.correlation import jaeger_datasource, loki_derived_fields, tracing_ca
from components.tracing.link import TracingLink


def grafana_datasource(
    store: str, tenants: Sequence[str], ca_pem: pulumi.Output[str], password: pulumi.Output[str], tracing: TracingLink | None = None
) -> pulumi.Output[str]:
    """Grafana's provisioning file for the store's Loki, through the gateway with the reader credential; with
    tracing, the store's Jaeger too, each linking to the other (components/tracing/correlation.py)."""
    url = f"https://{LOKI_GATEWAY_SERVICE}.{BACKEND_NAMESPACE}.svc.cluster.local"
    return pulumi.Output.all(ca_pem, password, tracing_ca(tracing)).apply(
        lambda v: json.dumps(
            {
                "apiVersion": 1,
                "datasources": [
                    {
                        "name": f"Loki ({store})",
                        "uid": f"loki-{store}",
                        "type": "loki",
                        "access": "proxy",
                        "url": url,
                        "isDefault": True,
                        "basicAuth": True,
                        "basicAuthUser": GRAFANA_READER_USER,
                        "jsonData": {
                            "tlsAuthWithCACert": True,
                            "httpHeaderName1": TENANT_HEADER,
                            **({"derivedFields": loki_derived_fields(store)} if tracing else {}),
                        },
                        "secureJsonData": {"basicAuthPassword": v[1], "tlsCACert": v[0], "httpHeaderValue1": "|".join(tenants)},
                    },
                    *([jaeger_datasource(tracing, v[2])] if tracing else []),
                ],
            },
            indent=2,
        )
    )


def grafana_values(resources: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "resources": dict(resources),
        "admin": {"existingSecret": GRAFANA_ADMIN_SECRET, "userKey": "admin-user", "passwordKey": "admin-password"},
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 472,
            "runAsGroup": 472,
            "fsGroup": 472,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        # The datasource Secret (grafana_datasource) is mounted as Grafana's provisioning file: the password never enters values
        # or a ConfigMap. Not the chart's datasource sidecar: its Role (grafana 12.11.1 role.yaml) reads every
        # Secret in the namespace (the collector's password, the gateway's TLS key), and it would need egress to
        # the Kubernetes API, which the namespace's network policies do not give Grafana.
        "extraSecretMounts": [
            {
                "name": "datasources",
                "secretName": GRAFANA_DATASOURCE_SECRET,
                "mountPath": "/etc/grafana/provisioning/datasources",
                "readOnly": True,
                "defaultMode": 0o440,
            }
        ],
        "rbac": {"create": False},
        "automountServiceAccountToken": False,
        "testFramework": {"enabled": False},
        # No usage statistics to Grafana Labs and no calls to grafana.com for new versions of Grafana or plugins.
        "grafana.ini": {"analytics": {"reporting_enabled": False, "check_for_updates": False, "check_for_plugin_updates": False}},
    }
