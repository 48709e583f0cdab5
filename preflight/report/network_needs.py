"""What the platform needs from the network, judged by preflight/report/reachability.py: the flows every backend
cluster needs (collectors to the ingest endpoint, or to the store's aggregation tier and the tier to the backend,
Grafana to the Loki gateway, the ECK operator to Elasticsearch and Kibana, backends to DNS, object storage and the
metadata server, the ruler to Alertmanager, spans to Jaeger; docs/backends.md, docs/tracing.md), and every other
flow into a backend namespace the policies allow (there should be none)."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from preflight.record.recording import Recording
from preflight.report.reachability import (
    BACKEND_NAMESPACE,
    METADATA_SERVER_IP,
    OBJECT_STORAGE_IP,
    REMOTE_COLLECTOR_IP,
    Endpoint,
    Flow,
    Network,
    Outside,
    Pod,
    Verdict,
    get,
    labels_of,
    network_of,
)

# --- what the platform needs ----------------------------------------------------------------------------------

LOKI = {"app.kubernetes.io/name": "loki"}
# The Loki components that read or write object storage (memcached and the gateway do not).
LOKI_STORAGE_COMPONENTS = {"single-binary", "ingester", "compactor", "querier", "index-gateway", "ruler", "backend", "write", "read"}
INGEST_PORTS = {"loki": 8080, "elk": 9200}
# The Fluentd aggregation tier's pods (components/aggregation/fluentd.py) and its forward port.
FLUENTD = {"app.kubernetes.io/name": "fluentd"}
FORWARD_PORT = 24224
# The Logstash tier's pods (ECK's label, components/aggregation/logstash.py) and its http input's port.
LOGSTASH = {"logstash.k8s.elastic.co/name": "logstash"}
LOGSTASH_PORT = 8443
# Jaeger's span receivers (OTLP gRPC, OTLP HTTP, Zipkin) and its query API (components/tracing/jaeger_config.py).
SPAN_PORTS = (4317, 4318, 9411)
JAEGER_QUERY_PORT = 16686
# Mesh proxies run in the teams' namespaces: one stand-in for them.
MESHED_APP = {"app": "meshed-app"}


def _label(pod: Pod, key: str) -> str:
    return pod.labels.get(key, "")


def _backend_stores(recording: Recording) -> dict[str, str]:
    """Cluster (provider) -> the store whose backend runs there, from the backend components' children."""
    found: dict[str, str] = {}
    for r in recording.resources:
        parts = r.parent.split("::")
        if len(parts) == 4 and parts[2].rsplit("$", 1)[-1].startswith("logmesh:backends:") and r.type.startswith("kubernetes:"):
            found.setdefault(r.provider, parts[3])
    return found


def _collector_stores(recording: Recording) -> dict[str, str]:
    """Cluster (provider) -> the store its collector ships to (the collector ServiceAccount's `logmesh.io/store`)."""
    return {
        r.provider: labels_of(get(r.inputs, "metadata", "labels"))["logmesh.io/store"]
        for r in recording.resources
        if r.type == "kubernetes:core/v1:ServiceAccount" and "logmesh.io/store" in labels_of(get(r.inputs, "metadata", "labels"))
    }


def _gke(recording: Recording, cluster: str) -> bool:
    return any(
        "iam.gke.io/gcp-service-account" in labels_of(get(r.inputs, "metadata", "annotations"))
        for r in recording.resources
        if r.provider == cluster and r.type == "kubernetes:core/v1:ServiceAccount"
    )


def _alertmanager(recording: Recording, cluster: str) -> tuple[Endpoint, int] | None:
    """The Alertmanager the Loki ruler posts to, from the Loki release's `loki.rulerConfig.alertmanager_url`."""
    for r in recording.resources:
        if r.provider == cluster and r.type == "kubernetes:helm.sh/v3:Release" and get(r.inputs, "chart") == "loki":
            url = get(r.inputs, "values", "loki", "rulerConfig", "alertmanager_url")
            if not isinstance(url, str):
                return None
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            labels = (parts.hostname or "").split(".")
            if len(labels) >= 3 and labels[2] == "svc":
                return Pod(cluster, labels[1], labels[0], {"app.kubernetes.io/name": "alertmanager"}), port
            return Outside("alertmanager", "198.51.100.20"), port
    return None


def needed_flows(recording: Recording, network: Network) -> list[Flow]:
    """Every flow the platform needs in every backend cluster (docs/backends.md#network-policies)."""
    stores, shipping = _backend_stores(recording), _collector_stores(recording)
    flows: list[Flow] = []
    for cluster, store in sorted(stores.items()):
        here = [p for p in network.pods if p.cluster == cluster]
        backend = [p for p in here if p.namespace == BACKEND_NAMESPACE]
        collectors = [p for p in here if p.namespace == "collectors" and "eck-operator" not in p.name and "elastic-operator" not in p.name]
        remote = any(s == store and c != cluster for c, s in shipping.items())
        dns = Pod(cluster, "kube-system", "kube-dns", {"k8s-app": "kube-dns"}, ((53, "UDP", "dns"), (53, "TCP", "dns-tcp")))
        storage = Outside("object storage", OBJECT_STORAGE_IP)
        metadata = Outside("metadata server", METADATA_SERVER_IP) if _gke(recording, cluster) else None
        gateway = [
            p for p in backend if _label(p, "app.kubernetes.io/component") == "gateway" and p.labels.get("app.kubernetes.io/name") == "loki"
        ]
        es = [p for p in backend if "elasticsearch.k8s.elastic.co/cluster-name" in p.labels]
        kibana = [p for p in backend if "kibana.k8s.elastic.co/name" in p.labels]
        ingest, port = (gateway, 8080) if gateway else (es, 9200)
        tiers = [
            (p, tier_port)
            for selector, tier_port in ((FLUENTD, FORWARD_PORT), (LOGSTASH, LOGSTASH_PORT))
            for p in backend
            if all(p.labels.get(k) == v for k, v in selector.items())
        ]
        tier = [p for p, _ in tiers]
        remote_collector = Outside("collector of another cluster", REMOTE_COLLECTOR_IP)
        for target, tier_port in tiers:
            flows += [Flow("collector to tier ingest", c, target, tier_port) for c in collectors]
            if remote:
                flows.append(Flow("remote collector to tier ingest", remote_collector, target, tier_port))
        for target in ingest:
            flows += [Flow("tier to backend ingest", t, target, port) for t in tier]
            if tier:
                continue
            flows += [Flow("collector to ingest", c, target, port) for c in collectors]
            if remote:
                flows.append(Flow("remote collector to ingest", remote_collector, target, port))
        for pod in backend:
            flows.append(Flow("DNS", pod, dns, 53, "UDP"))
        readers = [
            p
            for p in backend
            if _label(p, "app.kubernetes.io/component") in LOKI_STORAGE_COMPONENTS and p.labels.get("app.kubernetes.io/name") == "loki"
        ]
        for pod in readers + es:
            flows.append(Flow("object storage", pod, storage, 443))
            if metadata is not None:
                flows.append(Flow("workload identity", pod, metadata, 80))
        grafana = [p for p in backend if p.labels.get("app.kubernetes.io/name") == "grafana"]
        flows += [Flow("Grafana to Loki gateway", g, t, 8080) for g in grafana for t in gateway]
        alertmanager = _alertmanager(recording, cluster)
        rulers = [
            p
            for p in backend
            if _label(p, "app.kubernetes.io/component") in ("ruler", "single-binary") and p.labels.get("app.kubernetes.io/name") == "loki"
        ]
        if alertmanager is not None:
            flows += [Flow("ruler to Alertmanager", r, alertmanager[0], alertmanager[1]) for r in rulers]
        operators = [p for p in here if p.labels.get("app.kubernetes.io/name") == "elastic-operator" or p.name == "elastic-operator"]
        flows += [Flow("ECK operator to Elasticsearch", o, t, 9200) for o in operators for t in es]
        flows += [Flow("ECK operator to Kibana", o, t, 5601) for o in operators for t in kibana]
        flows += [Flow("Kibana to Elasticsearch", k, t, 9200) for k in kibana for t in es]
        setup = [p for p in backend if p.labels.get("app.kubernetes.io/name") == "logmesh-es-setup"]
        flows += [Flow("setup Job to Elasticsearch", s, t, 9200) for s in setup for t in es]
        # It also imports Kibana's saved objects (components/dashboards/kibana.py).
        flows += [Flow("setup Job to Kibana", s, t, 5601) for s in setup for t in kibana]
        rules = [p for p in backend if p.labels.get("app.kubernetes.io/component") == "alert-rules"]
        flows += [Flow("alert rules Job to Kibana", s, t, 5601) for s in rules for t in kibana]
        flows += _span_flows(cluster, backend, grafana, es, remote)
    return flows


def _span_flows(cluster: str, backend: list[Pod], grafana: list[Pod], es: list[Pod], remote: bool) -> list[Flow]:
    """Spans from meshed pods (or another cluster's) to Jaeger's receivers; Grafana to its query API; Jaeger to ES."""
    jaeger = [p for p in backend if p.labels.get("app.kubernetes.io/name") == "jaeger"]
    senders: list[Endpoint] = [Pod(cluster, "apps", "meshed-app", MESHED_APP)]
    if remote:
        senders.append(Outside("collector of another cluster", REMOTE_COLLECTOR_IP))
    flows = [Flow("mesh to Jaeger receiver", s, j, port) for s in senders for j in jaeger for port in SPAN_PORTS]
    flows += [Flow("Grafana to Jaeger query", g, j, JAEGER_QUERY_PORT) for g in grafana for j in jaeger]
    flows += [Flow("Jaeger to Elasticsearch", j, t, 9200) for j in jaeger for t in es]
    return flows


def _internal(flow: Flow) -> bool:
    """Flows among one backend's own pods that its policies allow on purpose (Loki's memberlist and gRPC, ES nodes)."""
    src, dst = flow.source, flow.destination
    if not (isinstance(src, Pod) and isinstance(dst, Pod)):
        return False
    if src.labels.get("app.kubernetes.io/name") == "loki" == dst.labels.get("app.kubernetes.io/name"):
        return True
    key = "elasticsearch.k8s.elastic.co/cluster-name"
    return key in src.labels and key in dst.labels and flow.port in (9200, 9300)


def unexpected_flows(recording: Recording, network: Network, needed: list[Flow]) -> list[Flow]:
    """Allowed flows into a backend namespace that are neither needed nor internal: from every pod, a stranger pod in
    `default` and in `collectors`, and an outside address, to every backend pod port."""
    wanted = {(f.source, f.destination, f.port, f.protocol) for f in needed}
    # The ingest port admits the collectors' whole namespace and, when published, any address: by design (TLS and a
    # password gate every request, components/backends/network.py ingest_sources).
    ingest = {(f.destination, f.port) for f in needed if f.what.endswith("ingest") and f.what.startswith(("collector", "remote collector"))}
    # Jaeger's receivers admit every namespace of the cluster (and any address when published): mutual TLS admits
    # a sender (components/tracing/network.py).
    receivers = {(f.destination, f.port) for f in needed if f.what == "mesh to Jaeger receiver"}
    found: list[Flow] = []
    for cluster in sorted(_backend_stores(recording)):
        here = [p for p in network.pods if p.cluster == cluster]
        sources: list[Endpoint] = [
            *here,
            Pod(cluster, "default", "stranger", {"app": "stranger"}),
            Pod(cluster, "collectors", "stranger", {"app": "stranger"}),
            Outside("collector of another cluster", REMOTE_COLLECTOR_IP),
        ]
        for dst in (p for p in here if p.namespace == BACKEND_NAMESPACE):
            ports = {(n, proto) for n, proto, _ in dst.ports} | {
                (8080, "TCP"), (9200, "TCP"), (5601, "TCP"), (3100, "TCP"), (9300, "TCP"), (FORWARD_PORT, "TCP"),
            }  # fmt: skip
            ports |= {(n, "TCP") for n in (*SPAN_PORTS, JAEGER_QUERY_PORT)}
            for src in sources:
                for port, proto in sorted(ports):
                    flow = Flow("unexpected", src, dst, port, proto)
                    if src == dst or (src, dst, port, proto) in wanted or _internal(flow):
                        continue
                    if (isinstance(src, Outside) or src.namespace == "collectors") and (dst, port) in ingest:
                        continue
                    if (dst, port) in receivers:
                        continue
                    if network.allows(flow):
                        found.append(flow)
    return found


def matrix(recording: Recording, extra_pods: Iterable[Pod] = ()) -> tuple[list[Verdict], list[Flow]]:
    """(every needed flow with its verdict, every unexpected allowed flow into a backend namespace)."""
    network = network_of(recording, extra_pods)
    needed = needed_flows(recording, network)
    return [Verdict(f, network.allows(f)) for f in needed], unexpected_flows(recording, network, needed)
