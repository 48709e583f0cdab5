"""Fluent Bit (the default collector) as a DaemonSet from the fluent-bit chart."""

from __future__ import annotations

from typing import Any

import pulumi

from components.backends.interface import BackendEndpoint
from components.collectors.base import Collector
from components.collectors.fluent_bit_config import (
    FLUENT_BIT_LUA,
    FLUENT_BIT_STATE,
    fluent_bit_filters,
    fluent_bit_inputs,
    fluent_bit_lua,
    fluent_bit_output,
    fluent_bit_parsers,
    fluent_bit_service,
)
from components.collectors.interface import (
    BUFFER_HOST_PATH,
    CA_CONFIGMAP,
    CA_DIR,
    COLLECTOR_LABELS,
    RESOURCES,
    SERVICE_ACCOUNT,
    container_security,
    helm_literal,
    pod_security,
    secret_env,
)
from components.config.schema import ClusterConfig, PlatformConfig
from components.pins import FLUENT_BIT_CHART
from components.sinks.datadog import api_key_env


def fluent_bit_values(platform: PlatformConfig, cluster: ClusterConfig, endpoint: BackendEndpoint) -> dict[str, Any]:
    return {
        "kind": "DaemonSet",
        "serviceAccount": {"create": False, "name": SERVICE_ACCOUNT},
        "rbac": {"create": False},
        "podSecurityPolicy": {"create": False},
        # The chart's `helm test` hook is a busybox:latest Pod that calls the HTTP server; nothing here runs it.
        "testFramework": {"enabled": False},
        "podSecurityContext": pod_security(),
        # Fluent Bit writes only storage.path and the tail DB, both under FLUENT_BIT_STATE on the buffer hostPath.
        "securityContext": container_security(),
        "resources": RESOURCES,
        "env": secret_env(shared_key=endpoint.shared_key is not None) + ([api_key_env()] if platform.sends_to_datadog(cluster) else []),
        "labels": COLLECTOR_LABELS,
        "podLabels": COLLECTOR_LABELS,
        "luaScripts": {FLUENT_BIT_LUA: helm_literal(fluent_bit_lua())},
        "daemonSetVolumes": [
            {"name": "varlog", "hostPath": {"path": "/var/log"}},
            {"name": "varlibdockercontainers", "hostPath": {"path": "/var/lib/docker/containers"}},
            {"name": "etcmachineid", "hostPath": {"path": "/etc/machine-id", "type": "File"}},
            {"name": "buffer", "hostPath": {"path": f"{BUFFER_HOST_PATH}/fluent-bit", "type": "DirectoryOrCreate"}},
            {"name": "backend-ca", "configMap": {"name": CA_CONFIGMAP}},
        ],
        "daemonSetVolumeMounts": [
            {"name": "varlog", "mountPath": "/var/log", "readOnly": True},
            {"name": "varlibdockercontainers", "mountPath": "/var/lib/docker/containers", "readOnly": True},
            {"name": "etcmachineid", "mountPath": "/etc/machine-id", "readOnly": True},
            {"name": "buffer", "mountPath": FLUENT_BIT_STATE},
            {"name": "backend-ca", "mountPath": CA_DIR, "readOnly": True},
        ],
        "config": {
            "service": helm_literal(fluent_bit_service()),
            "inputs": helm_literal(fluent_bit_inputs()),
            # Behind a tier the records carry their labels as fields, as for Elasticsearch (fluentd_config.LABELS_KEY).
            "filters": helm_literal(fluent_bit_filters(platform, cluster, "elk" if endpoint.via else endpoint.kind)),
            "outputs": fluent_bit_output(platform, cluster, endpoint),
            "customParsers": helm_literal(fluent_bit_parsers()),
        },
    }


class FluentBitCollector(Collector):
    kind = "FluentBit"

    def _workload(self, name: str) -> pulumi.Resource:
        args = self.args
        return self._helm_release(name, FLUENT_BIT_CHART, fluent_bit_values(args.platform, args.cluster, args.endpoint))
