"""Helm Releases of a small operator chart (tests/policies/charts/operator), which the pack renders itself under
`pulumi preview --policy-pack`: `sound` renders nothing the pack flags, `flawed` a literal API token and a
ClusterRole that may escalate."""

import pulumi_kubernetes as k8s

repo = k8s.helm.v3.RepositoryOptsArgs(repo="https://charts.example.org")
k8s.helm.v3.Release("sound", name="sound", chart="operator", version="0.1.0", namespace="operators", repository_opts=repo)
k8s.helm.v3.Release(
    "flawed",
    name="flawed",
    chart="operator",
    version="0.1.0",
    namespace="operators",
    repository_opts=repo,
    values={"token": "tok-4f9a2c81d7e3", "escalate": True},
)

# A log collector in the same namespace makes it a logging namespace, so the stack policy logging-pods-hardened
# judges every workload there, the Releases' rendered Deployments included.
k8s.apps.v1.DaemonSet(
    "collector",
    metadata={"namespace": "operators"},
    spec={
        "selector": {"match_labels": {"app": "collector"}},
        "template": {
            "metadata": {"labels": {"app": "collector"}},
            "spec": {"containers": [{"name": "fluent-bit", "image": "cr.fluentbit.io/fluent/fluent-bit:5.1.1"}]},
        },
    },
)
