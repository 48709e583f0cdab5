"""Kubernetes builders every component shares: Helm chart releases, restricted namespaces and pod security."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.names import MANAGED_BY_LABELS

# Pod Security Standards level every namespace here enforces, pinned to the Kubernetes version the tests validate.
POD_SECURITY_LEVEL = "restricted"
POD_SECURITY_VERSION = "v1.33"


@dataclass(frozen=True)
class Chart:
    name: str
    version: str
    repo: str

    def release(self, resource_name: str, namespace: str, values: Mapping[str, Any], opts: pulumi.ResourceOptions) -> k8s.helm.v3.Release:
        """This chart as a Helm release named after it; a failed install or upgrade rolls back and cleans up."""
        return k8s.helm.v3.Release(
            resource_name,
            name=self.name,
            chart=self.name,
            version=self.version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=self.repo),
            namespace=namespace,
            create_namespace=False,
            values=dict(values),
            atomic=True,
            cleanup_on_fail=True,
            opts=opts,
        )


def restricted_pod_security() -> dict[str, Any]:
    return {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}


def service_type(exposed: bool) -> str:
    """A Service's type: a load balancer when it is published for collectors in other clusters (the components
    annotate it as an internal one), otherwise reachable in the cluster only."""
    return "LoadBalancer" if exposed else "ClusterIP"


def secret_key_env(name: str, secret_name: str, key: str) -> dict[str, Any]:
    """A container environment variable `name` read from `key` of the Secret `secret_name` (secretKeyRef)."""
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret_name, "key": key}}}


def non_root_pod_security(uid: int) -> dict[str, Any]:
    """A pod security context for an image's own non-root user and group `uid`, which also owns its volumes."""
    return {"runAsNonRoot": True, "runAsUser": uid, "runAsGroup": uid, "fsGroup": uid, "seccompProfile": {"type": "RuntimeDefault"}}


def restricted_namespace(resource_name: str, namespace: str, opts: pulumi.ResourceOptions) -> k8s.core.v1.Namespace:
    """A namespace that enforces, audits and warns at the restricted Pod Security Standard."""
    levels = {
        f"pod-security.kubernetes.io/{mode}{suffix}": value
        for mode in ("enforce", "audit", "warn")
        for suffix, value in (("", POD_SECURITY_LEVEL), ("-version", POD_SECURITY_VERSION))
    }
    return k8s.core.v1.Namespace(
        resource_name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=namespace, labels={**MANAGED_BY_LABELS, "kubernetes.io/metadata.name": namespace, **levels}
        ),
        opts=opts,
    )


def eck_operator_values(managed_namespaces: list[str]) -> dict[str, Any]:
    """The ECK operator chart's values: its CRDs, the namespaces it manages, restricted pods, no telemetry (the chart's
    default writes usage data for Kibana to send to Elastic: `disable-telemetry: false` in eck.yaml)."""
    return {
        "installCRDs": True,
        "managedNamespaces": managed_namespaces,
        "podSecurityContext": restricted_pod_security(),
        "telemetry": {"disabled": True},
    }
