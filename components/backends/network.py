"""Who may talk to whom in the backend namespace: a small language for NetworkPolicies and each backend's allow-list.

The namespace denies everything by default and allows DNS to every pod (base_policies); each backend then lists
its explicit allows as data (loki_policies, elk_policies), which LogBackend.network_policies turns into resources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi_kubernetes as k8s

from components.config.schema import AlertingConfig
from components.names import ALERT_RULES_LABELS, COLLECTOR_NAMESPACE, ECK_OPERATOR_NAMESPACE, ES_NAME, KIBANA_NAME
from components.pins import ECK_OPERATOR_CHART

LOKI_GATEWAY_CONTAINER_PORT = 8080
HTTPS_PORT = 443
ES_HTTP_PORT = 9200
ES_TRANSPORT_PORT = 9300
KIBANA_PORT = 5601
# GKE Workload Identity answers on the node's metadata server address; IRSA and both object stores use 443.
GKE_METADATA_SERVER = ("169.254.169.254/32", 80)

LOKI_SELECTOR = {"app.kubernetes.io/name": "loki", "app.kubernetes.io/instance": "loki"}
LOKI_GATEWAY_SELECTOR = {**LOKI_SELECTOR, "app.kubernetes.io/component": "gateway"}
GRAFANA_SELECTOR = {"app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": "grafana"}
ES_SELECTOR = {"elasticsearch.k8s.elastic.co/cluster-name": ES_NAME}
KIBANA_SELECTOR = {"kibana.k8s.elastic.co/name": KIBANA_NAME}
ES_SETUP_SELECTOR = {"app.kubernetes.io/name": "logmesh-es-setup"}
# The eck-operator chart labels its pod with `eck-operator.selectorLabels` (templates/_helpers.tpl,
# templates/statefulset.yaml): the name and the release, which Chart.release names after the chart.
# (`control-plane: elastic-operator` appears only with the chart's `global.manifestGen`.)
ECK_OPERATOR_SELECTOR = {"app.kubernetes.io/name": "elastic-operator", "app.kubernetes.io/instance": ECK_OPERATOR_CHART.name}
# The pods that run the Loki ruler: its own StatefulSet when distributed, the single binary otherwise.
LOKI_RULER_SELECTOR = {**LOKI_SELECTOR, "app.kubernetes.io/component": "ruler"}
LOKI_SINGLE_BINARY_SELECTOR = {**LOKI_SELECTOR, "app.kubernetes.io/component": "single-binary"}


def peer(
    pods: Mapping[str, str] | None = None, namespace: str | None = None, cidr: str | None = None
) -> k8s.networking.v1.NetworkPolicyPeerArgs:
    if cidr is not None:
        return k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=cidr))
    return k8s.networking.v1.NetworkPolicyPeerArgs(
        pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(pods) if pods else None),
        namespace_selector=(k8s.meta.v1.LabelSelectorArgs(match_labels={"kubernetes.io/metadata.name": namespace}) if namespace else None),
    )


def ports(*numbers: int, protocol: str = "TCP") -> list[k8s.networking.v1.NetworkPolicyPortArgs]:
    return [k8s.networking.v1.NetworkPolicyPortArgs(port=p, protocol=protocol) for p in numbers]


@dataclass
class Rule:
    ports: list[k8s.networking.v1.NetworkPolicyPortArgs]
    peers: list[k8s.networking.v1.NetworkPolicyPeerArgs] | None = None  # None: any source/destination


@dataclass
class Policy:
    name: str
    pods: Mapping[str, str]
    ingress: list[Rule] = field(default_factory=list)
    egress: list[Rule] = field(default_factory=list)

    @property
    def types(self) -> list[str]:
        if self.name == "default-deny":
            return ["Ingress", "Egress"]
        return [kind for kind, rules in (("Ingress", self.ingress), ("Egress", self.egress)) if rules]


def base_policies() -> list[Policy]:
    """Default deny for every pod in the namespace, then DNS for all."""
    dns = Rule(ports(53, protocol="UDP") + ports(53), [peer({"k8s-app": "kube-dns"}, namespace="kube-system")])
    return [Policy("default-deny", {}), Policy("allow-dns", {}, egress=[dns])]


def ingest_sources(exposed: bool) -> list[k8s.networking.v1.NetworkPolicyPeerArgs]:
    """Who may open a connection to the ingest port: the local collectors' namespace and, when the endpoint is
    published on the internal load balancer, any address, because collectors in other clusters arrive from
    node, pod or NAT addresses of peered networks the cluster cannot know. TLS and a password gate every request."""
    local = [peer({}, namespace=COLLECTOR_NAMESPACE)]
    return [*local, peer(cidr="0.0.0.0/0"), peer(cidr="::/0")] if exposed else local


def collectors_ingress(
    name: str, pods: Mapping[str, str], port: list[k8s.networking.v1.NetworkPolicyPortArgs], exposed: bool, tiered: bool
) -> list[Policy]:
    """The collectors straight to the backend's ingest port (ingest_sources); none behind an aggregation tier (its
    collectors reach the tier, and the tier the backend: components/aggregation/fluentd.py fluentd_policies)."""
    return [] if tiered else [Policy(name, pods, ingress=[Rule(port, ingest_sources(exposed))])]


def object_storage_egress(cloud: str) -> list[Rule]:
    """HTTPS to the object store (and STS for IRSA); GKE Workload Identity also needs the metadata server."""
    rules = [Rule(ports(HTTPS_PORT))]
    if cloud == "gcp":
        cidr, port = GKE_METADATA_SERVER
        rules.append(Rule(ports(port), [peer(cidr=cidr)]))
    return rules


def alertmanager_egress(alerting: AlertingConfig | None, ruler: Mapping[str, str]) -> list[Policy]:
    """The ruler to the Alertmanager's port: only into its namespace when the URL names an in-cluster Service
    (a policy sees the pod port after the Service's translation: the Alertmanager's Service and container port
    must match, 9093 in the Prometheus Operator and the Alertmanager chart), to any address otherwise (NetworkPolicy
    cannot match a DNS name)."""
    if alerting is None:
        return []
    namespace = alerting.in_cluster_namespace
    peers = [peer({}, namespace=namespace)] if namespace else None
    return [Policy("loki-ruler-to-alertmanager", ruler, egress=[Rule(ports(alerting.port), peers)])]


def loki_policies(
    cloud: str, exposed: bool, alerting: AlertingConfig | None, ruler: Mapping[str, str], tiered: bool = False
) -> list[Policy]:
    gateway_port = ports(LOKI_GATEWAY_CONTAINER_PORT)
    return [
        *alertmanager_egress(alerting, ruler),
        # Every Loki component, its memcached caches and the gateway talk among themselves (HTTP, gRPC, memberlist).
        Policy("loki-internal", LOKI_SELECTOR, ingress=[Rule([], [peer(LOKI_SELECTOR)])], egress=[Rule([], [peer(LOKI_SELECTOR)])]),
        Policy("loki-object-storage", LOKI_SELECTOR, egress=object_storage_egress(cloud)),
        *collectors_ingress("collectors-to-loki-gateway", LOKI_GATEWAY_SELECTOR, gateway_port, exposed, tiered),
        Policy("grafana-to-loki-gateway", LOKI_GATEWAY_SELECTOR, ingress=[Rule(gateway_port, [peer(GRAFANA_SELECTOR)])]),
        Policy("grafana-egress", GRAFANA_SELECTOR, egress=[Rule(gateway_port, [peer(LOKI_GATEWAY_SELECTOR)])]),
    ]


def elk_policies(cloud: str, exposed: bool, tiered: bool = False) -> list[Policy]:
    http = ports(ES_HTTP_PORT)
    operator = peer(ECK_OPERATOR_SELECTOR, namespace=ECK_OPERATOR_NAMESPACE)
    return [
        Policy(
            "elasticsearch-internal",
            ES_SELECTOR,
            ingress=[Rule(ports(ES_HTTP_PORT, ES_TRANSPORT_PORT), [peer(ES_SELECTOR)])],
            egress=[Rule(ports(ES_HTTP_PORT, ES_TRANSPORT_PORT), [peer(ES_SELECTOR)])],
        ),
        Policy("elasticsearch-object-storage", ES_SELECTOR, egress=object_storage_egress(cloud)),
        *collectors_ingress("collectors-to-elasticsearch", ES_SELECTOR, http, exposed, tiered),
        Policy("clients-to-elasticsearch", ES_SELECTOR, ingress=[Rule(http, [peer(KIBANA_SELECTOR), peer(ES_SETUP_SELECTOR), operator])]),
        Policy("kibana-egress", KIBANA_SELECTOR, egress=[Rule(http, [peer(ES_SELECTOR)])]),
        # The alert rules Job and the setup Job (Kibana's saved objects) call Kibana's API.
        Policy(
            "clients-to-kibana",
            KIBANA_SELECTOR,
            ingress=[Rule(ports(KIBANA_PORT), [peer(ALERT_RULES_LABELS), peer(ES_SETUP_SELECTOR), operator])],
        ),
        Policy("alert-rules-egress", ALERT_RULES_LABELS, egress=[Rule(ports(KIBANA_PORT), [peer(KIBANA_SELECTOR)])]),
        Policy(
            "es-setup-egress",
            ES_SETUP_SELECTOR,
            egress=[Rule(http, [peer(ES_SELECTOR)]), Rule(ports(KIBANA_PORT), [peer(KIBANA_SELECTOR)])],
        ),
    ]
