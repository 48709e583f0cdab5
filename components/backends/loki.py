"""Loki (grafana-community chart) on the store's bucket, with an authenticating TLS gateway and Grafana."""

from __future__ import annotations

import base64

import pulumi
import pulumi_kubernetes as k8s

from components.backends.base import LogBackend, backend_meta, secret
from components.backends.gateway import GRAFANA_READER_USER, LOKI_GATEWAY_SERVICE, LOKI_PUSH_PATH, htpasswd
from components.backends.grafana import grafana_dashboard_files, grafana_datasource, grafana_values
from components.backends.interface import COLLECTOR_USER, BackendArgs, BackendEndpoint
from components.backends.loki_sizing import loki_sizing
from components.backends.loki_values import LokiValuesInputs, loki_values
from components.backends.network import HTTPS_PORT, LOKI_RULER_SELECTOR, LOKI_SINGLE_BINARY_SELECTOR, loki_policies
from components.config.schema import AlertingConfig
from components.dashboards.grafana import audit_trail_text
from components.names import (
    ALERTMANAGER_CREDENTIALS_SECRET,
    BACKEND_NAMESPACE,
    GRAFANA_ADMIN_SECRET,
    GRAFANA_DASHBOARDS_CONFIGMAP,
    GRAFANA_DATASOURCE_SECRET,
    LOKI_COLLECTOR_SECRET,
    LOKI_GATEWAY_HTPASSWD_SECRET,
    LOKI_GATEWAY_TLS_SECRET,
    data_events_trail,
)
from components.pins import GRAFANA_CHART, LOKI_CHART


class LokiBackend(LogBackend):
    """Loki (grafana-community chart) on the store's bucket, with an authenticating TLS gateway and Grafana."""

    def __init__(self, name: str, args: BackendArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("logmesh:backends:LokiBackend", name, args, opts)
        store, platform = args.store_config, args.platform
        self.tenants = tuple(c.id for c in platform.clusters_of(store))
        self.sizing = loki_sizing(platform.environment, platform.daily_volume_gb)

        service_dns = [f"{LOKI_GATEWAY_SERVICE}.{BACKEND_NAMESPACE}.svc", f"{LOKI_GATEWAY_SERVICE}.{BACKEND_NAMESPACE}.svc.cluster.local"]
        ca_pem, tls_secret = self.ingest_tls(service_dns, LOKI_GATEWAY_TLS_SECRET)
        self.ca_pem = ca_pem

        writer = self.password("collector")
        reader = self.password("grafana")
        self.writer_password = secret(writer.result)
        self.reader_password = secret(reader.result)
        htpasswd_secret = k8s.core.v1.Secret(
            f"{name}-gateway-htpasswd",
            metadata=backend_meta(LOKI_GATEWAY_HTPASSWD_SECRET),
            type="Opaque",
            string_data={".htpasswd": htpasswd([(COLLECTOR_USER, writer.bcrypt_hash), (GRAFANA_READER_USER, reader.bcrypt_hash)])},
            opts=self.in_namespace,
        )
        collector_secret = self.basic_auth_secret(LOKI_COLLECTOR_SECRET, "collector-credentials", COLLECTOR_USER, writer.result)
        alerting = platform.alerting
        alertmanager_secret = self._alertmanager_credentials(alerting) if alerting and alerting.has_credentials else None

        self.network_policies(loki_policies(store.cloud, self.exposed, alerting, self.ruler_selector, store.aggregation is not None))
        self.loki = self.release(
            "loki",
            LOKI_CHART,
            BACKEND_NAMESPACE,
            self.loki_values(),
            [self.service_account, tls_secret, htpasswd_secret, *([alertmanager_secret] if alertmanager_secret else [])],
        )
        datasource = k8s.core.v1.Secret(
            f"{self.name}-grafana-datasource",
            metadata=backend_meta(GRAFANA_DATASOURCE_SECRET),
            type="Opaque",
            string_data={"loki.yaml": secret(grafana_datasource(store.id, self.tenants, ca_pem, self.reader_password, args.tracing))},
            opts=self.in_namespace,
        )
        admin = self.password("grafana-admin")
        admin_secret = k8s.core.v1.Secret(
            f"{name}-grafana-admin",
            metadata=backend_meta(GRAFANA_ADMIN_SECRET),
            type="Opaque",
            string_data={"admin-user": "admin", "admin-password": secret(admin.result)},
            opts=self.in_namespace,
        )
        self.grafana = self.release(
            "grafana",
            GRAFANA_CHART,
            BACKEND_NAMESPACE,
            grafana_values(self.sizing.resources["grafana"]),
            [datasource, admin_secret, self._dashboards(), self.loki],
        )

        self.endpoint = BackendEndpoint(
            store=store.id,
            kind="loki",
            host=self.external_host() or service_dns[1],
            port=HTTPS_PORT,
            path=LOKI_PUSH_PATH,
            ca_pem=ca_pem,
            username=COLLECTOR_USER,
            password=self.writer_password,
            tenants=self.tenants,
            credentials_secret=LOKI_COLLECTOR_SECRET,
        )
        self.register_outputs(
            {
                "host": self.endpoint.host,
                "port": self.endpoint.port,
                "ca_pem": ca_pem,
                "tenants": list(self.tenants),
                "retention_days": self.retention_days,
                "collector_credentials": collector_secret.metadata.name,
            }
        )

    def _dashboards(self) -> k8s.core.v1.ConfigMap:
        """The dashboards Grafana provisions (components/dashboards/grafana.py), with where the bucket's audit trail is."""
        store, platform = self.args.store_config, self.args.platform
        trail = data_events_trail(platform.environment, store.id)
        files = self.args.store.bucket_name.apply(
            lambda bucket: grafana_dashboard_files(store.id, audit_trail_text(store.cloud, trail, bucket))
        )
        return k8s.core.v1.ConfigMap(
            f"{self.name}-grafana-dashboards",
            metadata=backend_meta(GRAFANA_DASHBOARDS_CONFIGMAP),
            data=files,
            opts=self.in_namespace,
        )

    @property
    def ruler_selector(self) -> dict[str, str]:
        return LOKI_RULER_SELECTOR if self.sizing.deployment_mode == "Distributed" else LOKI_SINGLE_BINARY_SELECTOR

    def _alertmanager_credentials(self, alerting: AlertingConfig) -> k8s.core.v1.Secret:
        """The ruler's `Authorization` credential, mounted as a file: never in values, the config or the environment."""
        if alerting.bearer_token is not None:
            credential = secret(alerting.bearer_token)
        else:
            pair = f"{alerting.username}:{alerting.password}"
            credential = secret(pulumi.Output.secret(pair).apply(lambda v: base64.b64encode(v.encode()).decode()))
        return k8s.core.v1.Secret(
            f"{self.name}-alertmanager-credentials",
            metadata=backend_meta(ALERTMANAGER_CREDENTIALS_SECRET),
            type="Opaque",
            string_data={"credentials": credential},
            opts=self.in_namespace,
        )

    def loki_values(self) -> dict[str, object]:
        args = self.args
        return loki_values(
            LokiValuesInputs(
                cloud=args.store_config.cloud,
                bucket_name=args.store.bucket_name,
                key_id=args.store.key_id,
                region=args.store.region,
                sizing=self.sizing,
                tenants=self.tenants,
                retention_days=self.retention_days,
                service_account=self.service_account_ref.name,
                alerting=args.platform.alerting,
                gateway_replicas=2 if args.platform.is_prod else 1,
                exposed=self.exposed,
                load_balancer_annotations=self.load_balancer_annotations(),
            )
        )
