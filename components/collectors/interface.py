"""What a collector takes and what every collector kind shares inside its pods: names, paths, environment, labels."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.backends.interface import BackendEndpoint
from components.config.schema import ClusterConfig, PlatformConfig
from components.kubernetes import secret_key_env

SERVICE_ACCOUNT = "logmesh-collector"
CREDENTIALS_SECRET = "logmesh-output-credentials"
DENY_INGRESS_POLICY = "logmesh-collectors-deny-ingress"
CA_CONFIGMAP = "logmesh-backend-ca"
CA_DIR = "/etc/logmesh/ca"
CA_FILE = f"{CA_DIR}/ca.crt"
USERNAME_ENV = "LOGMESH_OUTPUT_USERNAME"
PASSWORD_ENV = "LOGMESH_OUTPUT_PASSWORD"
# The forward protocol's shared key, when the cluster's store has an aggregation tier (key `shared_key` of the Secret).
SHARED_KEY_ENV = "LOGMESH_OUTPUT_SHARED_KEY"
# Node-local buffer directory (hostPath) and the bound on what the buffers there may hold.
BUFFER_HOST_PATH = "/var/lib/logmesh-collector"
BUFFER_LIMIT = "4G"
# Label every collector object carries, so policies find the collector of each cluster.
COLLECTOR_LABELS = {"app.kubernetes.io/part-of": "logmesh", "app.kubernetes.io/component": "collector"}
# The only API access a collector needs to enrich records with pod, namespace and node metadata.
COLLECTOR_RESOURCES = ["pods", "namespaces", "nodes"]
COLLECTOR_VERBS = ["get", "list", "watch"]
RESOURCES = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}}
# Every collector container: root (the engines' images have no other user that can read root-owned 0640 log files),
# but with no capability at all. Root needs none to read files it owns or to write its root-owned hostPath buffer, and
# a capability added to a non-root container stays out of its effective set; no privilege escalation; a read-only
# root filesystem (each collector writes only to its buffer hostPath); the runtime's seccomp profile. The exception
# for root is recorded per collector in policies/config/prod.json (collector-runs-as-non-root).
RUNTIME_DEFAULT_SECCOMP = {"seccompProfile": {"type": "RuntimeDefault"}}
CONTAINER_SECURITY = {
    "runAsUser": 0,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    **RUNTIME_DEFAULT_SECCOMP,
}


def pod_security() -> dict[str, Any]:
    """The pod-level security context of every collector pod (a fresh copy: Helm values are mutable)."""
    return copy.deepcopy(RUNTIME_DEFAULT_SECCOMP)


def container_security() -> dict[str, Any]:
    """The security context of every collector container (a fresh copy)."""
    return copy.deepcopy(CONTAINER_SECURITY)


@dataclass(frozen=True)
class CollectorArgs:
    platform: PlatformConfig
    cluster: ClusterConfig
    provider: k8s.Provider
    endpoint: BackendEndpoint
    # The backend that runs on this cluster, if one does: Filebeat's Beat waits for its ECK operator.
    backend_here: pulumi.Resource | None = None


def helm_literal(text: str) -> str:
    """`text` as a Helm `tpl` argument that renders to itself: both charts pass their config strings through `tpl`,
    which would evaluate Alloy's own `{{ }}` templates (stage.template)."""
    return re.sub(r"\{\{|\}\}", lambda m: '{{"' + m.group() + '"}}', text)


def static_labels(platform: PlatformConfig, cluster: ClusterConfig) -> dict[str, str]:
    """The low-cardinality labels of every log line besides its Kubernetes namespace."""
    return {"cloud": cluster.cloud, "cluster": cluster.id, "environment": platform.environment}


def secret_env(shared_key: bool = False) -> list[dict[str, Any]]:
    keys = ((USERNAME_ENV, "username"), (PASSWORD_ENV, "password"), *([(SHARED_KEY_ENV, "shared_key")] if shared_key else []))
    return [secret_key_env(env, CREDENTIALS_SECRET, key) for env, key in keys]
