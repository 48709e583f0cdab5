"""Grafana Alloy (Loki only) as a DaemonSet from the alloy chart."""

from __future__ import annotations

from typing import Any

import pulumi

from components.backends.interface import BackendEndpoint
from components.collectors.alloy_config import alloy_config
from components.collectors.base import Collector
from components.collectors.interface import (
    BUFFER_HOST_PATH,
    CA_CONFIGMAP,
    CA_DIR,
    COLLECTOR_LABELS,
    RESOURCES,
    SERVICE_ACCOUNT,
    container_security,
    pod_security,
    secret_env,
)
from components.config.schema import ClusterConfig, PlatformConfig
from components.pins import ALLOY_CHART

ALLOY_DATA = "/var/lib/alloy/data"


def alloy_values(platform: PlatformConfig, cluster: ClusterConfig, endpoint: BackendEndpoint) -> dict[str, Any]:
    return {
        "alloy": {
            "configMap": {"create": True, "content": alloy_config(platform, cluster, endpoint)},
            "storagePath": ALLOY_DATA,
            # loki.write's WAL is an experimental Alloy feature.
            "stabilityLevel": "experimental",
            "mounts": {
                "varlog": True,
                "dockercontainers": False,
                "extra": [
                    {"name": "buffer", "mountPath": ALLOY_DATA},
                    {"name": "backend-ca", "mountPath": CA_DIR, "readOnly": True},
                ],
            },
            "extraEnv": secret_env(),
            "resources": RESOURCES,
            # No anonymous usage statistics to Grafana Labs (the chart passes --disable-reporting).
            "enableReporting": False,
            # Alloy writes only --storage.path (ALLOY_DATA, on the buffer hostPath); the config reloader sidecar is
            # hardened by the chart already.
            "securityContext": container_security(),
        },
        "global": {"podSecurityContext": pod_security()},
        "controller": {
            "type": "daemonset",
            "podLabels": COLLECTOR_LABELS,
            "volumes": {
                "extra": [
                    {"name": "buffer", "hostPath": {"path": f"{BUFFER_HOST_PATH}/alloy", "type": "DirectoryOrCreate"}},
                    {"name": "backend-ca", "configMap": {"name": CA_CONFIGMAP}},
                ]
            },
        },
        "serviceAccount": {"create": False, "name": SERVICE_ACCOUNT},
        "rbac": {"create": False},
    }


class AlloyCollector(Collector):
    kind = "Alloy"

    def _workload(self, name: str) -> pulumi.Resource:
        args = self.args
        if args.endpoint.kind != "loki":
            raise ValueError(
                f"cluster {args.cluster.id}: Alloy ships only to Loki, but store {args.endpoint.store} runs {args.endpoint.kind}"
            )
        return self._helm_release(name, ALLOY_CHART, alloy_values(args.platform, args.cluster, args.endpoint))
