"""A log platform (Loki and Fluent Bit on a central cluster) next to two GKE application clusters of the same stack:
`gke-builtin` keeps GKE's built-in Cloud Logging (the default) and counts as collected; `gke-logging-off` turns it off
and runs no collector."""

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

central = k8s.Provider("central", kubeconfig="apiVersion: v1\nkind: Config\n")
on = pulumi.ResourceOptions(provider=central)
k8s.helm.v3.Release("loki", chart="loki", namespace="logging", values={"loki": {"auth_enabled": True}}, opts=on)
k8s.helm.v3.Release("fluent-bit", chart="fluent-bit", namespace="logging", opts=on)
k8s.apiextensions.CustomResource(
    "ingestion-gap",
    api_version="monitoring.coreos.com/v1",
    kind="PrometheusRule",
    metadata={"name": "ingestion-gap", "namespace": "logging"},
    spec={"groups": [{"name": "gap", "rules": [{"alert": "NoLogs", "expr": "absent_over_time(loki_ingester_streams[15m])"}]}]},
    opts=on,
)

for name, logging in (("gke-builtin", None), ("gke-logging-off", "none")):
    cluster = gcp.container.Cluster(name, project="acme-apps", location="europe-west1", initial_node_count=1, logging_service=logging)
    provider = k8s.Provider(name, kubeconfig=cluster.endpoint.apply(lambda e: f"apiVersion: v1\nkind: Config\n# {e}\n"))
    k8s.core.v1.Namespace(f"{name}-apps", metadata={"name": "apps"}, opts=pulumi.ResourceOptions(provider=provider))
