"""Workloads in a logging namespace (Loki runs there), each built from a hardened pod and changed once, named for
the change. seccomp-on-pod, digest-image and collector-mounts-token are sound and must not be flagged."""

import copy
from typing import Any

import pulumi_kubernetes as k8s

k8s.helm.v3.Release("loki", chart="loki", namespace="logging", repository_opts={"repo": "https://grafana-community.github.io/helm-charts"})
CONTAINER = {
    "name": "app",
    "image": "ghcr.io/acme/log-tool:1.4.2",
    "security_context": {
        "capabilities": {"drop": ["ALL"]},
        "allow_privilege_escalation": False,
        "read_only_root_filesystem": True,
        "seccomp_profile": {"type": "RuntimeDefault"},
    },
    "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
}


def workload(
    name: str, change: Any = None, kind: Any = k8s.apps.v1.Deployment, image: str = "ghcr.io/acme/log-tool:1.4.2", **pod: Any
) -> None:
    container = copy.deepcopy(CONTAINER)
    container["image"] = image
    if change:
        change(container)
    spec = {"automount_service_account_token": False, "containers": [container], **pod}
    kind(
        name,
        metadata={"namespace": "logging"},
        spec={"selector": {"match_labels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}}, "spec": spec}},
    )


workload("keeps-capabilities", lambda c: c["security_context"].pop("capabilities"))
workload("escalates", lambda c: c["security_context"].update(allow_privilege_escalation=True))
workload("writable-root", lambda c: c["security_context"].pop("read_only_root_filesystem"))
workload("no-seccomp", lambda c: c["security_context"].update(seccomp_profile={"type": "Unconfined"}))
workload("latest-image", image="ghcr.io/acme/log-tool:latest")
workload("untagged-image", image="registry.local:5000/acme/log-tool")
workload("no-requests", lambda c: c.pop("resources"))
workload("mounts-token", automount_service_account_token=True)
workload(
    "seccomp-on-pod",
    lambda c: c["security_context"].pop("seccomp_profile"),
    security_context={"seccomp_profile": {"type": "RuntimeDefault"}},
)
workload("digest-image", image="ghcr.io/acme/log-tool@sha256:" + "a" * 64)
# A collector reads pod metadata from the API: it needs its token.
workload("collector-mounts-token", kind=k8s.apps.v1.DaemonSet, image="fluent/fluent-bit:4.2.2", automount_service_account_token=True)
