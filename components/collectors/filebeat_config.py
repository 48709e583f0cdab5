"""Filebeat's configuration: container input with Kubernetes metadata, the mesh access-log JavaScript processor and
the Elasticsearch output to the cluster's data stream."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

import pulumi

from components.backends.interface import BackendEndpoint
from components.collectors.interface import CA_FILE, PASSWORD_ENV, USERNAME_ENV, static_labels
from components.config.schema import ClusterConfig, PlatformConfig
from components.mesh import ACCESS_LOG_FORMATS, rules_as_data
from components.names import data_stream

# The processor's program (assets/mesh-access-logs.js); filebeat_script puts the mesh rules in front of it as FORMATS.
MESH_ACCESS_LOGS_JS = files("components.collectors").joinpath("assets/mesh-access-logs.js").read_text(encoding="utf-8")


def filebeat_script() -> str:
    """A Filebeat JavaScript processor applying the mesh rules (components/mesh.py) to `message`."""
    data = json.dumps(rules_as_data(), sort_keys=True)
    header = "// Generated from components/mesh.py ACCESS_LOG_FORMATS; do not edit.\n"
    return header + f"var FORMATS = {data};\n" + MESH_ACCESS_LOGS_JS


def filebeat_config(platform: PlatformConfig, cluster: ClusterConfig, endpoint: BackendEndpoint) -> pulumi.Output[dict[str, Any]]:
    containers = sorted({f.container for f in ACCESS_LOG_FORMATS})

    def render(host: str) -> dict[str, Any]:
        return {
            "filebeat.inputs": [
                {
                    "type": "filestream",
                    "id": "kubernetes-containers",
                    "paths": ["/var/log/containers/*.log"],
                    "prospector.scanner.symlinks": True,
                    "parsers": [{"container": {"stream": "all", "format": "auto"}}],
                    "processors": [
                        {
                            "add_kubernetes_metadata": {
                                "host": "${NODE_NAME}",
                                "matchers": [{"logs_path": {"logs_path": "/var/log/containers/"}}],
                                # Deployment/CronJob lookups need replicasets and jobs: outside the collector's RBAC.
                                "add_resource_metadata": {"deployment": False, "cronjob": False},
                            }
                        }
                    ],
                }
            ],
            "processors": [
                {"add_fields": {"target": "labels", "fields": static_labels(platform, cluster)}},
                {
                    "script": {
                        "lang": "javascript",
                        "tag": "logmesh-mesh-access-logs",
                        "source": filebeat_script(),
                        "when": {"or": [{"equals": {"kubernetes.container.name": c}} for c in containers]},
                    }
                },
            ],
            # Events wait on the node's disk (the Beat's data hostPath) while Elasticsearch is unreachable, up to
            # max_size; Filebeat retries the output without limit.
            "queue.disk": {"max_size": "4GB"},
            "output.elasticsearch": {
                "hosts": [f"https://{host}:{endpoint.port}"],
                "username": f"${{{USERNAME_ENV}}}",
                "password": f"${{{PASSWORD_ENV}}}",
                "index": data_stream(cluster),
                "ssl": {"certificate_authorities": [CA_FILE], "verification_mode": "full"},
            },
            # The data stream gets its template and lifecycle from the backend (logs-*-* index template).
            "setup.template.enabled": False,
            "setup.ilm.enabled": False,
        }

    return pulumi.Output.from_input(endpoint.host).apply(render)
