"""Grafana reads every tenant of its store through a datasource kept in a Secret."""

from __future__ import annotations

import json

from preflight.record.recording import Recording
from tests.helpers.backend_lookups import (
    backends,
    endpoint,
    one,
    release,
    store_of,
)
from tests.helpers.support import below, plain


def test_grafana_queries_every_tenant_through_a_secret_datasource(loki_recorded: tuple[str, str, Recording]) -> None:
    _stack, _kind, recording = loki_recorded
    for backend in backends(recording):
        ep = endpoint(recording, store_of(backend))
        datasource = one(recording, backend, "kubernetes:core/v1:Secret", "grafana-datasource-loki")
        [source] = json.loads(plain(datasource.inputs)["stringData"]["loki.yaml"])["datasources"]
        reader = next(
            plain(r.outputs)["result"]
            for r in below(recording, backend, "random:index/randomPassword:RandomPassword")
            if r.name.endswith("-grafana-password")
        )
        assert source["url"] == "https://loki-gateway.logging.svc.cluster.local"
        assert source["jsonData"] == {"tlsAuthWithCACert": True, "httpHeaderName1": "X-Scope-OrgID"}
        assert source["secureJsonData"] == {
            "basicAuthPassword": reader,
            "tlsCACert": ep["ca_pem"],
            "httpHeaderValue1": "|".join(ep["tenants"]),
        }
        loki = release(recording, backend, "loki")["values"]["loki"]
        assert loki["querier"]["multi_tenant_queries_enabled"] is True
        grafana = release(recording, backend, "grafana")["values"]
        # Grafana reads its datasource from the Secret mounted as a provisioning file; it has no Kubernetes API
        # access at all (no sidecar, no Role that could read the namespace's other Secrets, no token).
        assert grafana["extraSecretMounts"] == [
            {
                "name": "datasources",
                "secretName": "grafana-datasource-loki",
                "mountPath": "/etc/grafana/provisioning/datasources",
                "readOnly": True,
                "defaultMode": 0o440,
            }
        ]
        assert grafana["rbac"]["create"] is False and grafana["automountServiceAccountToken"] is False
        assert "sidecar" not in grafana
        assert grafana["admin"]["existingSecret"] == "grafana-admin"
        assert "datasources" not in grafana


def test_grafana_provisions_the_logmesh_dashboards_from_a_configmap(loki_recorded: tuple[str, str, Recording]) -> None:
    _stack, _kind, recording = loki_recorded
    for backend in backends(recording):
        dashboards = one(recording, backend, "kubernetes:core/v1:ConfigMap", "logmesh-grafana-dashboards")
        meta = dashboards.inputs["metadata"]
        assert (meta["name"], meta["namespace"]) == ("logmesh-grafana-dashboards", "logging")
        files = plain(dashboards.inputs)["data"]
        assert set(files) == {"logmesh-ingestion.json", "logmesh-mesh.json", "logmesh-soc2.json"}
        for text in files.values():
            board = json.loads(text)
            targets = [t for p in board["panels"] for t in p.get("targets", [])]
            assert {t["datasource"]["uid"] for t in targets} == {f"loki-{store_of(backend)}"}
        grafana = release(recording, backend, "grafana")["values"]
        # grafana 12.11.1: dashboardsConfigMaps mounts the ConfigMap at /var/lib/grafana/dashboards/<provider>
        # (_pod.tpl), which the provider's path must name; no sidecar, so no Kubernetes API access.
        [provider] = grafana["dashboardProviders"]["dashboardproviders.yaml"]["providers"]
        assert grafana["dashboardsConfigMaps"] == {provider["name"]: "logmesh-grafana-dashboards"}
        assert provider["options"]["path"] == f"/var/lib/grafana/dashboards/{provider['name']}"
        assert (provider["type"], provider["disableDeletion"], provider["allowUiUpdates"]) == ("file", True, False)
        assert "sidecar" not in grafana
