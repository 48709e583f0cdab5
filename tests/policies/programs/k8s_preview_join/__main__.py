"""Namespaces named by the provider (unknown in a preview): Loki runs in one, the NetworkPolicies sit in the other,
so the backend namespace has none. A preview must not join the two unknown names as the same namespace."""

import pulumi
import pulumi_kubernetes as k8s

cluster = k8s.Provider("join-cluster", context="join")
on_cluster = pulumi.ResourceOptions(provider=cluster)
backend_namespace = k8s.core.v1.Namespace("logging", opts=on_cluster)
other_namespace = k8s.core.v1.Namespace("elsewhere", opts=on_cluster)
k8s.helm.v3.Release(
    "loki-in-logging",
    chart="loki",
    version="18.11.0",
    namespace=backend_namespace.metadata.name,
    repository_opts={"repo": "https://grafana-community.github.io/helm-charts"},
    values={"gateway": {"enabled": True, "basicAuth": {"enabled": True, "existingSecret": "htpasswd"}}},
    opts=on_cluster,
)
k8s.networking.v1.NetworkPolicy(
    "default-deny",
    metadata={"namespace": other_namespace.metadata.name},
    spec={"pod_selector": {}, "policy_types": ["Ingress"]},
    opts=on_cluster,
)
k8s.networking.v1.NetworkPolicy(
    "allow-collectors",
    metadata={"namespace": other_namespace.metadata.name},
    spec={
        "pod_selector": {},
        "policy_types": ["Ingress"],
        "ingress": [{"from": [{"namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": "collectors"}}}]}],
    },
    opts=on_cluster,
)
