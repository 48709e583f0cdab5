"""Grafana beside Loki: its chart values and the Loki datasource it reads every tenant of the store with."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from components.backends.gateway import GRAFANA_READER_USER, LOKI_GATEWAY_SERVICE, TENANT_HEADER
from components.dashboards.grafana import grafana_dashboards
from components.kubernetes import non_root_pod_security
from components.names import BACKEND_NAMESPACE, GRAFANA_ADMIN_SECRET, GRAFANA_DASHBOARDS_CONFIGMAP, GRAFANA_DATASOURCE_SECRET
from components.tracing.correlation import jaeger_datasource, loki_derived_fields, loki_uid, tracing_ca
from components.tracing.link import TracingLink

# The chart mounts dashboardsConfigMaps[<provider>] at /var/lib/grafana/dashboards/<provider> (grafana 12.11.1 _pod.tpl).
DASHBOARD_PROVIDER = "logmesh"


def grafana_dashboard_files(store: str, audit_trail: str) -> dict[str, str]:
    """The ConfigMap's files: one dashboard JSON each (components/dashboards/grafana.py)."""
    return {name: json.dumps(board, indent=2) for name, board in grafana_dashboards(loki_uid(store), audit_trail).items()}


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
                        "uid": loki_uid(store),
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
        "securityContext": non_root_pod_security(472),
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
        # The dashboards from the ConfigMap through the chart's own mount, not its sidecar (same reason as above).
        # Provisioned dashboards cannot be deleted or saved over from the UI: the code is their one source.
        "dashboardProviders": {
            "dashboardproviders.yaml": {
                "apiVersion": 1,
                "providers": [
                    {
                        "name": DASHBOARD_PROVIDER,
                        "orgId": 1,
                        "folder": "logmesh",
                        "type": "file",
                        "disableDeletion": True,
                        "allowUiUpdates": False,
                        "options": {"path": f"/var/lib/grafana/dashboards/{DASHBOARD_PROVIDER}"},
                    }
                ],
            }
        },
        "dashboardsConfigMaps": {DASHBOARD_PROVIDER: GRAFANA_DASHBOARDS_CONFIGMAP},
        "rbac": {"create": False},
        "automountServiceAccountToken": False,
        "testFramework": {"enabled": False},
        # No usage statistics to Grafana Labs and no calls to grafana.com for new versions of Grafana or plugins.
        "grafana.ini": {"analytics": {"reporting_enabled": False, "check_for_updates": False, "check_for_plugin_updates": False}},
    }
