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
# `ClusterNameLabelName`, pkg/controller/kibana/label `KibanaNameLabelName`, pkg/controller/beat/common `NameLabelName`,
# pkg/controller/logstash/labels `NameLabelName`). Logstash's ports: the tier's http input and its API.
_ES, _KB, _BEAT, _LS = "elasticsearch.k8s.elastic.co", "kibana.k8s.elastic.co", "beat.k8s.elastic.co", "logstash.k8s.elastic.co"
ECK_POD_LABELS: dict[str, tuple[str, str, tuple[tuple[int, str], ...]]] = {
    f"kubernetes:{_ES}/v1:Elasticsearch": (f"{_ES}/cluster-name", "es", ((9200, "TCP"), (9300, "TCP"))),
    f"kubernetes:{_KB}/v1:Kibana": (f"{_KB}/name", "kb", ((5601, "TCP"),)),
    f"kubernetes:{_BEAT}/v1beta1:Beat": (f"{_BEAT}/name", "beat", ()),
    f"kubernetes:{_LS}/v1alpha1:Logstash": (f"{_LS}/name", "ls", ((8443, "TCP"), (9600, "TCP"))),
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


def get(value: Any, *path: str) -> Any:
    for key in path:
        value = reveal(value)
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return reveal(value)


def labels_of(value: Any) -> dict[str, str]:
    value = reveal(value)
    return {str(k): str(reveal(v)) for k, v in value.items()} if isinstance(value, Mapping) else {}


def _namespace(r: Registration) -> str:
    return str(get(r.inputs, "metadata", "namespace") or "default")


def pods_of(recording: Recording, extra: Iterable[Pod] = ()) -> list[Pod]:
    """One pod per workload (its template's labels and container ports), per ECK resource, plus `extra`."""
    pods = list(extra)
    for r in recording.resources:
        if r.type in WORKLOADS:
            template = get(r.inputs, *WORKLOADS[r.type])
            ports: list[tuple[int, str, str]] = []
            for container in get(template, "spec", "containers") or []:
                for p in get(container, "ports") or []:
                    number = get(p, "containerPort")
                    if number is not None:
                        ports.append((int(number), str(get(p, "protocol") or "TCP"), str(get(p, "name") or "")))
            name = str(get(r.inputs, "metadata", "name") or r.name)
            pods.append(Pod(r.provider, _namespace(r), name, labels_of(get(template, "metadata", "labels")), tuple(ports)))
        elif r.type in ECK_POD_LABELS:
            key, suffix, eck_ports = ECK_POD_LABELS[r.type]
            name = str(get(r.inputs, "metadata", "name") or r.name)
            template = get(r.inputs, "spec", "podTemplate") or get(r.inputs, "spec", "daemonSet", "podTemplate")
            for node_set in get(r.inputs, "spec", "nodeSets") or []:
                template = get(node_set, "podTemplate") or template
            labels = {**labels_of(get(template, "metadata", "labels")), key: name}
            ports_ = tuple((n, proto, "") for n, proto in eck_ports)
            pods.append(Pod(r.provider, _namespace(r), f"{name}-{suffix}", labels, ports_))  # ECK names them `<name>-es-...`
    return pods


def _selects(selector: Any, labels: Mapping[str, str]) -> bool:
    """A LabelSelector (matchLabels and matchExpressions); `None` selects nothing, `{}` everything."""
    selector = reveal(selector)
    if not isinstance(selector, Mapping):
        return False
    if any(labels.get(k) != str(reveal(v)) for k, v in labels_of(selector.get("matchLabels")).items()):
        return False
    for expression in reveal(selector.get("matchExpressions")) or []:
        key, op = str(get(expression, "key")), str(get(expression, "operator"))
        values = [str(reveal(v)) for v in get(expression, "values") or []]
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
        block = get(peer, "ipBlock")
        if block is not None:
            if not isinstance(other, Outside):
                return False  # pod addresses are not cluster-external IPs: ipBlock does not select pods
            address = ipaddress.ip_address(other.ip)
            network = ipaddress.ip_network(str(get(block, "cidr")), strict=False)
            excepted = [ipaddress.ip_network(str(e), strict=False) for e in get(block, "except") or []]
            return address.version == network.version and address in network and not any(address in e for e in excepted)
        if not isinstance(other, Pod) or other.cluster != cluster:
            return False
        pod_selector, namespace_selector = get(peer, "podSelector"), get(peer, "namespaceSelector")
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
            if str(get(p, "protocol") or "TCP") != protocol:
                continue
            number = get(p, "port")
            if number is None:
                return True
            if isinstance(number, str) and not number.isdigit():
                names = target.ports if isinstance(target, Pod) else ()
                if any(n == number and pn == port and proto == protocol for pn, proto, n in names):
                    return True
                continue
            end = get(p, "endPort")
            if int(float(number)) <= port <= int(float(end if end is not None else number)):
                return True
        return False

    def _side_allows(self, pod: Pod, direction: str, other: Endpoint, port: int, protocol: str, target: Endpoint) -> bool:
        kind, peers_key = ("Ingress", "from") if direction == "ingress" else ("Egress", "to")
        selected = False
        for policy in self.policies:
            if policy.provider != pod.cluster or _namespace(policy) != pod.namespace:
                continue
            spec = get(policy.inputs, "spec") or {}
            types = get(spec, "policyTypes") or (["Ingress", "Egress"] if get(spec, "egress") else ["Ingress"])
            if kind not in types or not _selects(get(spec, "podSelector"), pod.labels):
                continue
            selected = True
            for rule in get(spec, direction) or []:
                peers = get(rule, peers_key)
                if not self._port_matches(get(rule, "ports"), port, protocol, target):
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
        (r.provider, str(get(r.inputs, "metadata", "name") or r.name)): labels_of(get(r.inputs, "metadata", "labels"))
        for r in recording.resources
        if r.type == "kubernetes:core/v1:Namespace"
    }
    return Network(pods_of(recording, extra_pods), namespaces, [r for r in recording.resources if r.type == NETWORK_POLICY])
