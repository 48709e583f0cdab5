"""Network paths as data: which pod-to-pod and pod-to-outside flows the NetworkPolicies of a recording allow.

Pure functions of a Recording: the pods come from every workload registered (logmesh's own Jobs, and the
Deployments, StatefulSets and DaemonSets rendered from its Helm releases, see preflight/record/charts.py) and from
the ECK custom resources (the operator makes their pods), the policies from every
`kubernetes:networking.k8s.io/v1:NetworkPolicy` (logmesh's own and rendered). A cluster is the Kubernetes provider
a resource is registered with. Semantics follow the NetworkPolicy API (networking.k8s.io/v1): a pod selected by no
policy of a type allows everything of that type; selected pods allow the union of their rules; a flow needs the
source's egress and the destination's ingress; ports are pod ports (after a Service's translation).
`needed_flows` lists what the platform needs (docs/backends.md#network-policies); `matrix` judges them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from preflight.record.recording import Recording, Registration
from preflight.secrets import is_secret

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
WORKLOADS = {
    "kubernetes:apps/v1:Deployment": ("spec", "template"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template"),
    "kubernetes:batch/v1:Job": ("spec", "template"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template"),
}
# ECK labels the pods it makes after the custom resource (cloud-on-k8s pkg/controller/elasticsearch/label/label.go
# `ClusterNameLabelName`, pkg/controller/kibana/label `KibanaNameLabelName`, pkg/controller/beat/common `NameLabelName`).
ECK_POD_LABELS = {
    "kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch": (
        "elasticsearch.k8s.elastic.co/cluster-name",
        ((9200, "TCP"), (9300, "TCP")),
    ),
    "kubernetes:kibana.k8s.elastic.co/v1:Kibana": ("kibana.k8s.elastic.co/name", ((5601, "TCP"),)),
    "kubernetes:beat.k8s.elastic.co/v1beta1:Beat": ("beat.k8s.elastic.co/name", ()),
}
BACKEND_NAMESPACE = "logging"
OBJECT_STORAGE_IP = "52.216.0.10"  # any public address: S3 and GCS answer on public addresses on 443
METADATA_SERVER_IP = "169.254.169.254"
REMOTE_COLLECTOR_IP = "10.200.0.10"  # a collector of another cluster arrives from a node, pod or NAT address


@dataclass(frozen=True)
class Pod:
    cluster: str
    namespace: str
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    ports: tuple[tuple[int, str, str], ...] = ()  # (port, protocol, name)

    def __hash__(self) -> int:
        return hash((self.cluster, self.namespace, self.name))


@dataclass(frozen=True)
class Outside:
    """An address outside the cluster's pods: an object store, the metadata server, a collector of another cluster."""

    name: str
    ip: str


Endpoint = Pod | Outside


@dataclass(frozen=True)
class Flow:
    what: str
    source: Endpoint
    destination: Endpoint
    port: int
    protocol: str = "TCP"


@dataclass
class Verdict:
    flow: Flow
    allowed: bool


def reveal(value: Any) -> Any:
    """The value under a secret marker: the analysis judges policies, and reports show flows, never values."""
    return value["value"] if is_secret(value) else value


def _get(value: Any, *path: str) -> Any:
    for key in path:
        value = reveal(value)
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return reveal(value)


def _labels(value: Any) -> dict[str, str]:
    value = reveal(value)
    return {str(k): str(reveal(v)) for k, v in value.items()} if isinstance(value, Mapping) else {}


def _namespace(r: Registration) -> str:
    return str(_get(r.inputs, "metadata", "namespace") or "default")


def pods_of(recording: Recording, extra: Iterable[Pod] = ()) -> list[Pod]:
    """One pod per workload (its template's labels and container ports), per ECK resource, plus `extra`."""
    pods = list(extra)
    for r in recording.resources:
        if r.type in WORKLOADS:
            template = _get(r.inputs, *WORKLOADS[r.type])
            ports: list[tuple[int, str, str]] = []
            for container in _get(template, "spec", "containers") or []:
                for p in _get(container, "ports") or []:
                    number = _get(p, "containerPort")
                    if number is not None:
                        ports.append((int(number), str(_get(p, "protocol") or "TCP"), str(_get(p, "name") or "")))
            name = str(_get(r.inputs, "metadata", "name") or r.name)
            pods.append(Pod(r.provider, _namespace(r), name, _labels(_get(template, "metadata", "labels")), tuple(ports)))
        elif r.type in ECK_POD_LABELS:
            key, eck_ports = ECK_POD_LABELS[r.type]
            name = str(_get(r.inputs, "metadata", "name") or r.name)
            template = _get(r.inputs, "spec", "podTemplate") or _get(r.inputs, "spec", "daemonSet", "podTemplate")
            for node_set in _get(r.inputs, "spec", "nodeSets") or []:
                template = _get(node_set, "podTemplate") or template
            labels = {**_labels(_get(template, "metadata", "labels")), key: name}
            pods.append(Pod(r.provider, _namespace(r), name, labels, tuple((n, proto, "") for n, proto in eck_ports)))
    return pods


def _selects(selector: Any, labels: Mapping[str, str]) -> bool:
    """A LabelSelector (matchLabels and matchExpressions); `None` selects nothing, `{}` everything."""
    selector = reveal(selector)
    if not isinstance(selector, Mapping):
        return False
    if any(labels.get(k) != str(reveal(v)) for k, v in _labels(selector.get("matchLabels")).items()):
        return False
    for expression in reveal(selector.get("matchExpressions")) or []:
        key, op = str(_get(expression, "key")), str(_get(expression, "operator"))
        values = [str(reveal(v)) for v in _get(expression, "values") or []]
        if (
            (op == "In" and labels.get(key) not in values)
            or (op == "NotIn" and labels.get(key) in values)
            or (op == "Exists" and key not in labels)
            or (op == "DoesNotExist" and key in labels)
        ):
            return False
    return True


@dataclass
class Network:
    """The pods, namespaces and policies of a recording, per cluster."""

    pods: list[Pod]
    namespaces: dict[tuple[str, str], dict[str, str]]
    policies: list[Registration]

    def namespace_labels(self, cluster: str, namespace: str) -> dict[str, str]:
        return {"kubernetes.io/metadata.name": namespace, **self.namespaces.get((cluster, namespace), {})}

    def _peer_matches(self, peer: Any, policy_namespace: str, other: Endpoint, cluster: str) -> bool:
        block = _get(peer, "ipBlock")
        if block is not None:
            if not isinstance(other, Outside):
                return False  # pod addresses are not cluster-external IPs: ipBlock does not select pods
            address = ipaddress.ip_address(other.ip)
            network = ipaddress.ip_network(str(_get(block, "cidr")), strict=False)
            excepted = [ipaddress.ip_network(str(e), strict=False) for e in _get(block, "except") or []]
            return address.version == network.version and address in network and not any(address in e for e in excepted)
        if not isinstance(other, Pod) or other.cluster != cluster:
            return False
        pod_selector, namespace_selector = _get(peer, "podSelector"), _get(peer, "namespaceSelector")
        if namespace_selector is not None:
            in_namespace = _selects(namespace_selector, self.namespace_labels(other.cluster, other.namespace))
        else:
            in_namespace = other.namespace == policy_namespace
        return in_namespace and (pod_selector is None or _selects(pod_selector, other.labels))

    @staticmethod
    def _port_matches(rule_ports: Any, port: int, protocol: str, target: Endpoint) -> bool:
        if not rule_ports:
            return True
        for p in rule_ports:
            if str(_get(p, "protocol") or "TCP") != protocol:
                continue
            number = _get(p, "port")
            if number is None:
                return True
            if isinstance(number, str) and not number.isdigit():
                names = target.ports if isinstance(target, Pod) else ()
                if any(n == number and pn == port and proto == protocol for pn, proto, n in names):
                    return True
                continue
            end = _get(p, "endPort")
            if int(float(number)) <= port <= int(float(end if end is not None else number)):
                return True
        return False

    def _side_allows(self, pod: Pod, direction: str, other: Endpoint, port: int, protocol: str, target: Endpoint) -> bool:
        kind, peers_key = ("Ingress", "from") if direction == "ingress" else ("Egress", "to")
        selected = False
        for policy in self.policies:
            if policy.provider != pod.cluster or _namespace(policy) != pod.namespace:
                continue
            spec = _get(policy.inputs, "spec") or {}
            types = _get(spec, "policyTypes") or (["Ingress", "Egress"] if _get(spec, "egress") else ["Ingress"])
            if kind not in types or not _selects(_get(spec, "podSelector"), pod.labels):
                continue
            selected = True
            for rule in _get(spec, direction) or []:
                peers = _get(rule, peers_key)
                if not self._port_matches(_get(rule, "ports"), port, protocol, target):
                    continue
                if not peers or any(self._peer_matches(peer, pod.namespace, other, pod.cluster) for peer in peers):
                    return True
        return not selected

    def allows(self, flow: Flow) -> bool:
        src, dst = flow.source, flow.destination
        if isinstance(src, Pod) and not self._side_allows(src, "egress", dst, flow.port, flow.protocol, dst):
            return False
        return not (isinstance(dst, Pod) and not self._side_allows(dst, "ingress", src, flow.port, flow.protocol, dst))


def network_of(recording: Recording, extra_pods: Iterable[Pod] = ()) -> Network:
    namespaces = {
        (r.provider, str(_get(r.inputs, "metadata", "name") or r.name)): _labels(_get(r.inputs, "metadata", "labels"))
        for r in recording.resources
        if r.type == "kubernetes:core/v1:Namespace"
    }
    return Network(pods_of(recording, extra_pods), namespaces, [r for r in recording.resources if r.type == NETWORK_POLICY])


# --- what the platform needs ----------------------------------------------------------------------------------

LOKI = {"app.kubernetes.io/name": "loki"}
# The Loki components that read or write object storage (memcached and the gateway do not).
LOKI_STORAGE_COMPONENTS = {"single-binary", "ingester", "compactor", "querier", "index-gateway", "ruler", "backend", "write", "read"}
INGEST_PORTS = {"loki": 8080, "elk": 9200}


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
        r.provider: _labels(_get(r.inputs, "metadata", "labels"))["logmesh.io/store"]
        for r in recording.resources
        if r.type == "kubernetes:core/v1:ServiceAccount" and "logmesh.io/store" in _labels(_get(r.inputs, "metadata", "labels"))
    }


def _gke(recording: Recording, cluster: str) -> bool:
    return any(
        "iam.gke.io/gcp-service-account" in _labels(_get(r.inputs, "metadata", "annotations"))
        for r in recording.resources
        if r.provider == cluster and r.type == "kubernetes:core/v1:ServiceAccount"
    )


def _alertmanager(recording: Recording, cluster: str) -> tuple[Endpoint, int] | None:
    """The Alertmanager the Loki ruler posts to, from the Loki release's `loki.rulerConfig.alertmanager_url`."""
    from urllib.parse import urlsplit

    for r in recording.resources:
        if r.provider == cluster and r.type == "kubernetes:helm.sh/v3:Release" and _get(r.inputs, "chart") == "loki":
            url = _get(r.inputs, "values", "loki", "rulerConfig", "alertmanager_url")
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
        for target in ingest:
            flows += [Flow("collector to ingest", c, target, port) for c in collectors]
            if remote:
                flows.append(Flow("remote collector to ingest", Outside("collector of another cluster", REMOTE_COLLECTOR_IP), target, port))
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
        rules = [p for p in backend if p.labels.get("app.kubernetes.io/component") == "alert-rules"]
        flows += [Flow("alert rules Job to Kibana", s, t, 5601) for s in rules for t in kibana]
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
    ingest = {(f.destination, f.port) for f in needed if f.what.endswith("to ingest")}
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
            ports = {(n, proto) for n, proto, _ in dst.ports} | {(8080, "TCP"), (9200, "TCP"), (5601, "TCP"), (3100, "TCP"), (9300, "TCP")}
            for src in sources:
                for port, proto in sorted(ports):
                    flow = Flow("unexpected", src, dst, port, proto)
                    if src == dst or (src, dst, port, proto) in wanted or _internal(flow):
                        continue
                    if (isinstance(src, Outside) or src.namespace == "collectors") and (dst, port) in ingest:
                        continue
                    if network.allows(flow):
                        found.append(flow)
    return found


def matrix(recording: Recording, extra_pods: Iterable[Pod] = ()) -> tuple[list[Verdict], list[Flow]]:
    """(every needed flow with its verdict, every unexpected allowed flow into a backend namespace)."""
    network = network_of(recording, extra_pods)
    needed = needed_flows(recording, network)
    return [Verdict(f, network.allows(f)) for f in needed], unexpected_flows(recording, network, needed)
