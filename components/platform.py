"""The whole logmesh platform of one environment, built from a validated `PlatformConfig`."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.aggregation.fluentd import FluentdAggregator, FluentdArgs
from components.aggregation.logstash import LogstashAggregator, LogstashArgs
from components.alerts.component import AlertRules, AlertRulesArgs
from components.backends.base import LogBackend
from components.backends.elk import ElkBackend
from components.backends.interface import BackendArgs
from components.backends.loki import LokiBackend
from components.collectors.base import Collector
from components.collectors.interface import CollectorArgs
from components.collectors.registry import collector_for
from components.config.schema import ClusterConfig, PlatformConfig, StoreConfig
from components.identity import backend_service_account
from components.mesh import MeshAccessLogs, MeshAccessLogsArgs
from components.storage.aws import AwsLogStore
from components.storage.gcp import GcpLogStore
from components.storage.interface import LogStore, LogStoreArgs
from components.tracing.component import JaegerTracing, JaegerTracingArgs, MeshSpans, MeshSpansArgs, TracingPki, TracingPkiArgs


def common_labels(config: PlatformConfig, **extra: str) -> dict[str, str]:
    """Tags/labels every cloud resource carries, so an auditor can trace it to this blueprint."""
    return {"managed-by": "logmesh", "logmesh-environment": config.environment, **extra}


class CloudProviders:
    """One explicit provider per store scope and per cluster: nothing depends on ambient defaults,
    so a store can never land in the wrong account, project or region."""

    # Every component takes its provider as `args.provider`, a required field: none can fall back to opts or a default.

    def __init__(self, config: PlatformConfig, parent: pulumi.Resource) -> None:
        self.stores: dict[str, pulumi.ProviderResource] = {}
        self.clusters: dict[str, k8s.Provider] = {}
        for store in config.stores:
            self.stores[store.id] = self._store_provider(config, store, parent)
        for cluster in config.clusters:
            kubeconfig = config.kubeconfigs.get(cluster.id)
            self.clusters[cluster.id] = k8s.Provider(
                f"{cluster.id}-k8s",
                kubeconfig=pulumi.Output.secret(kubeconfig) if kubeconfig is not None else None,
                context=cluster.context,
                enable_server_side_apply=True,
                opts=pulumi.ResourceOptions(parent=parent),
            )

    @staticmethod
    def _store_provider(config: PlatformConfig, store: StoreConfig, parent: pulumi.Resource) -> pulumi.ProviderResource:
        opts = pulumi.ResourceOptions(parent=parent)
        labels = common_labels(config, **{"logmesh-store": store.id})
        if store.cloud == "aws":
            return aws.Provider(
                f"{store.id}-aws",
                region=store.region,
                allowed_account_ids=[store.account_id or ""],
                default_tags=aws.ProviderDefaultTagsArgs(tags=labels),
                opts=opts,
            )
        return gcp.Provider(
            f"{store.id}-gcp",
            project=store.project,
            region=store.region,
            default_labels=labels,
            opts=opts,
        )


class LogPlatform(pulumi.ComponentResource):
    """Stores, backends and collectors of one environment.

    Built in stages, each from the one before: stores (components/storage/), the backend on each
    store's cluster (components/backends/), then the collector and mesh access logs in every cluster
    (components/collectors/, components/mesh.py) and alert rules (components/alerts/)."""

    summary: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str, config: PlatformConfig, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("logmesh:platform:LogPlatform", name, None, opts)
        self.config = config
        self.providers = CloudProviders(config, self)
        self.stores = self._build_stores()
        self.tracing_pki = self._build_tracing_pki()
        self.backends = self._build_backends()
        self.aggregators = self._build_aggregators()
        self.tracing = self._build_tracing()
        self._build_collectors()
        self.summary = pulumi.Output.from_input(self._summary())
        self.register_outputs({"summary": self.summary})

    def _build_stores(self) -> dict[str, LogStore]:
        """One LogStore per store config, keyed by store name."""
        stores: dict[str, LogStore] = {}
        for store in self.config.stores:
            args = LogStoreArgs(
                platform=self.config,
                store=store,
                backend_cluster=self.config.cluster(store.cluster),
                backend_service_account=backend_service_account(self.config.backend),
                tenants=tuple(cluster.id for cluster in self.config.clusters_of(store)),
                provider=self.providers.stores[store.id],
            )
            store_class = AwsLogStore if store.cloud == "aws" else GcpLogStore
            stores[store.id] = store_class(store.id, args, pulumi.ResourceOptions(parent=self))
        return stores

    def _build_backends(self) -> dict[str, LogBackend]:
        """One backend per store, on the store's backend cluster, keyed by store name."""
        backend_class = LokiBackend if self.config.backend == "loki" else ElkBackend
        backends: dict[str, LogBackend] = {}
        for store in self.config.stores:
            args = BackendArgs(
                platform=self.config,
                store_config=store,
                store=self.stores[store.id],
                cluster=self.config.cluster(store.cluster),
                provider=self.providers.clusters[store.cluster],
                tracing=self.tracing_pki[store.id].link if store.id in self.tracing_pki else None,
            )
            backends[store.id] = backend_class(store.id, args, pulumi.ResourceOptions(parent=self))
        return backends

    def _build_aggregators(self) -> dict[str, FluentdAggregator | LogstashAggregator]:
        """The aggregation tier of each store that has one, next to its backend, keyed by store name."""
        aggregators: dict[str, FluentdAggregator | LogstashAggregator] = {}
        for store in self.config.stores:
            if store.aggregation is None:
                continue
            backend = self.backends[store.id]
            provider, opts = self.providers.clusters[store.cluster], pulumi.ResourceOptions(parent=self)
            if store.aggregation == "logstash":
                ls_args = LogstashArgs(self.config, store, backend.endpoint, provider, backend.exposed, (backend,))
                aggregators[store.id] = LogstashAggregator(f"{store.id}-aggregation", ls_args, opts)
                continue
            args = FluentdArgs(self.config, store, backend.endpoint, provider, backend.exposed, (backend,))
            aggregators[store.id] = FluentdAggregator(f"{store.id}-aggregation", args, opts)
        return aggregators

    def _span_senders(self, store: StoreConfig) -> tuple[ClusterConfig, ...]:
        return tuple(c for c in self.config.clusters_of(store) if c.mesh != "none")

    def _build_tracing_pki(self) -> dict[str, TracingPki]:
        """With logmesh:tracing, each store's tracing CA and certificates (Grafana's datasource needs the CA)."""
        if self.config.tracing is None:
            return {}
        return {
            s.id: TracingPki(f"{s.id}-tracing", TracingPkiArgs(self.config, s, self._span_senders(s)), pulumi.ResourceOptions(parent=self))
            for s in self.config.stores
        }

    def _build_tracing(self) -> dict[str, JaegerTracing]:
        """Jaeger beside each store's backend: spans in its Elasticsearch (ELK) or Badger on an encrypted volume (Loki)."""
        tracing: dict[str, JaegerTracing] = {}
        for store_id, pki in self.tracing_pki.items():
            backend = self.backends[store_id]
            elk = isinstance(backend, ElkBackend)
            args = JaegerTracingArgs(
                platform=self.config,
                store_config=self.config.store(store_id),
                pki=pki,
                backend=backend,
                storage="elasticsearch" if elk else "badger",
                key_id=self.stores[store_id].key_id,
                index_replicas=backend.index_replicas if isinstance(backend, ElkBackend) else 1,
                # The store too: Badger's volume is created with its key once the disk service may use it.
                depends_on=(backend, self.stores[store_id]),
            )
            tracing[store_id] = JaegerTracing(f"{store_id}-tracing", args, pulumi.ResourceOptions(parent=self))
        return tracing

    def _build_collectors(self) -> None:
        """A collector and mesh access logs in every cluster; alert rules in every store's backend."""
        self.collectors: dict[str, Collector] = {}
        self.mesh_access_logs: dict[str, MeshAccessLogs] = {}
        for cluster in self.config.clusters:
            provider = self.providers.clusters[cluster.id]
            store_id = self._store_of(cluster)
            tier = self.aggregators.get(store_id)
            endpoint = tier.endpoint if tier is not None else self.backends[store_id].endpoint
            opts = pulumi.ResourceOptions(parent=self)
            backend_here = next((self.backends[s.id] for s in self.config.stores if s.cluster == cluster.id), None)
            collector_args = CollectorArgs(self.config, cluster, provider, endpoint, backend_here)
            self.collectors[cluster.id] = collector_for(cluster.id, collector_args, opts)
            pki = self.tracing_pki.get(self._store_of(cluster))
            sampling = self.config.tracing.sampling_percent if self.config.tracing and pki and cluster.mesh != "none" else None
            mesh_args = MeshAccessLogsArgs(cluster, provider, sampling)
            self.mesh_access_logs[cluster.id] = MeshAccessLogs(f"{cluster.id}-mesh", mesh_args, opts)
            if pki is not None and sampling is not None:
                receiver = self.tracing[self._store_of(cluster)].release
                spans = MeshSpansArgs(cluster, pki.link, pki.clients[cluster.id], provider, receiver)
                MeshSpans(f"{cluster.id}-spans", spans, opts)
        self.alert_rules: dict[str, AlertRules] = {}
        for store in self.config.stores:
            backend = self.backends[store.id]
            elk = backend if isinstance(backend, ElkBackend) else None
            args = AlertRulesArgs(
                self.config,
                tuple(self.config.clusters_of(store)),
                self.providers.clusters[store.cluster],
                backend.endpoint,
                kibana_url=elk.kibana_url if elk else "",
                kibana_ca_secret=elk.kibana_ca_secret if elk else "",
                elastic_user_secret=elk.elastic_user_secret if elk else "",
                depends_on=(backend,),
            )
            self.alert_rules[store.id] = AlertRules(f"{store.id}-alerts", args, pulumi.ResourceOptions(parent=self))

    @staticmethod
    def _store_of(cluster: ClusterConfig) -> str:
        if cluster.store is None:  # resolved by parse_config; a ClusterConfig built by hand may lack it
            raise ValueError(f"cluster {cluster.id} has no store")
        return cluster.store

    def _summary(self) -> dict[str, Any]:
        return {
            "environment": self.config.environment,
            "backend": self.config.backend,
            "stores": {s.id: self._store_summary(s) for s in self.config.stores},
            "clusters": {c.id: self._cluster_summary(c) for c in self.config.clusters},
        }

    def _store_summary(self, store: StoreConfig) -> dict[str, Any]:
        built = self.stores[store.id]
        return {
            "name": store.name,
            "cloud": store.cloud,
            "region": store.region,
            "backend_cluster": store.cluster,
            "bucket": built.bucket_url,
            "archive_bucket": built.archive_bucket_name,
            "ingest_endpoint": self.backends[store.id].endpoint.host,
            "aggregation": store.aggregation,
            **({"trace_endpoint": self.tracing[store.id].host} if store.id in self.tracing else {}),
            "alerts_to": self.alert_rules[store.id].notifies,
        }

    def _cluster_summary(self, cluster: ClusterConfig) -> dict[str, Any]:
        return {
            "name": cluster.name,
            "cloud": cluster.cloud,
            "mesh": cluster.mesh,
            "collector": cluster.collector,
            "ships_to": cluster.store,
        }
