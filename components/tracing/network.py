"""Who may talk to Jaeger in the backend namespace, in network.py's language (the namespace denies by default).

Senders are mesh proxies (Istio) or the linkerd-jaeger collector, in any namespace of the backend's cluster, and,
when the store's endpoints are published, in other clusters: as for the log ingest port, NetworkPolicy cannot
know those addresses, so the receiver's mutual TLS is what admits a sender. The query port is Grafana's only."""

from __future__ import annotations

import pulumi_kubernetes as k8s

from components.backends.network import ES_HTTP_PORT, ES_SELECTOR, GRAFANA_SELECTOR, Policy, Rule, peer, ports
from components.tracing.jaeger_config import QUERY_HTTP_PORT, RECEIVER_PORTS

JAEGER_SELECTOR = {"app.kubernetes.io/name": "jaeger", "app.kubernetes.io/instance": "jaeger"}


def span_sources(exposed: bool) -> list[k8s.networking.v1.NetworkPolicyPeerArgs]:
    every_namespace = k8s.networking.v1.NetworkPolicyPeerArgs(namespace_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=None))
    return [every_namespace, peer(cidr="0.0.0.0/0"), peer(cidr="::/0")] if exposed else [every_namespace]


def tracing_policies(storage: str, exposed: bool, grafana: bool) -> list[Policy]:
    policies = [Policy("spans-to-jaeger", JAEGER_SELECTOR, ingress=[Rule(ports(*RECEIVER_PORTS), span_sources(exposed))])]
    if grafana:
        query = ports(QUERY_HTTP_PORT)
        policies += [
            Policy("grafana-to-jaeger", JAEGER_SELECTOR, ingress=[Rule(query, [peer(GRAFANA_SELECTOR)])]),
            Policy("grafana-to-jaeger-egress", GRAFANA_SELECTOR, egress=[Rule(query, [peer(JAEGER_SELECTOR)])]),
        ]
    if storage == "elasticsearch":
        http = ports(ES_HTTP_PORT)
        policies += [
            Policy("jaeger-to-elasticsearch", JAEGER_SELECTOR, egress=[Rule(http, [peer(ES_SELECTOR)])]),
            Policy("jaeger-to-elasticsearch-ingress", ES_SELECTOR, ingress=[Rule(http, [peer(JAEGER_SELECTOR)])]),
        ]
    return policies
