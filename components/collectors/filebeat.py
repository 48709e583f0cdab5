"""Filebeat (ELK only) as an ECK Beat: the backend's ECK operator on its cluster, an operator of its own elsewhere."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from components.collectors.base import Collector
from components.collectors.filebeat_config import filebeat_config
from components.collectors.interface import (
    CA_CONFIGMAP,
    CA_DIR,
    RESOURCES,
    SERVICE_ACCOUNT,
    container_security,
    pod_security,
    secret_env,
)
from components.kubernetes import eck_operator_values, restricted_namespace
from components.names import COLLECTOR_NAMESPACE, ECK_OPERATOR_NAMESPACE
from components.pins import ECK_OPERATOR_CHART, FILEBEAT_VERSION


class FilebeatCollector(Collector):
    kind = "Filebeat"

    def _eck_operator(self, name: str) -> k8s.helm.v3.Release:
        """The ECK operator that runs the Beat on a cluster without a backend (on a backend's cluster, the backend's
        operator also manages the `collectors` namespace). Without it the cluster has no Beat CRD at all."""
        namespace = restricted_namespace(f"{name}-eck-operator-namespace", ECK_OPERATOR_NAMESPACE, self._child)
        values = eck_operator_values([COLLECTOR_NAMESPACE])
        opts = pulumi.ResourceOptions(parent=self, provider=self.args.provider, depends_on=[namespace])
        return ECK_OPERATOR_CHART.release(f"{name}-eck-operator", ECK_OPERATOR_NAMESPACE, values, opts)

    def _workload(self, name: str) -> pulumi.Resource:
        args = self.args
        if args.endpoint.kind != "elk":
            raise ValueError(
                f"cluster {args.cluster.id}: Filebeat ships only to Elasticsearch; store {args.endpoint.store} runs {args.endpoint.kind}"
            )
        # ECK runs the Beat: the backend's operator on the backend's cluster, an operator of its own elsewhere.
        operator = args.backend_here if args.backend_here is not None else self._eck_operator(name)
        container = {
            "name": "filebeat",
            "env": [*secret_env(), {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
            "resources": RESOURCES,
            # ECK sets no security context on a Beat's pods. Filebeat writes its registry and disk queue to the
            # beat-data hostPath ECK mounts at /usr/share/filebeat/data and logs to stderr (ECK starts it with -e);
            # upstream has not tested it with a read-only root filesystem, so /tmp is a small emptyDir for anything else.
            "securityContext": container_security(),
            "volumeMounts": [
                {"name": "tmp", "mountPath": "/tmp"},
                {"name": "varlogcontainers", "mountPath": "/var/log/containers", "readOnly": True},
                {"name": "varlogpods", "mountPath": "/var/log/pods", "readOnly": True},
                {"name": "backend-ca", "mountPath": CA_DIR, "readOnly": True},
            ],
        }
        return k8s.apiextensions.CustomResource(
            f"{name}-filebeat",
            api_version="beat.k8s.elastic.co/v1beta1",
            kind="Beat",
            metadata=self._meta("logmesh-filebeat"),
            spec={
                "type": "filebeat",
                "version": FILEBEAT_VERSION,
                "config": filebeat_config(args.platform, args.cluster, args.endpoint),
                "daemonSet": {
                    "podTemplate": {
                        "metadata": {"labels": self.labels},
                        "spec": {
                            "serviceAccountName": SERVICE_ACCOUNT,
                            "automountServiceAccountToken": True,
                            "dnsPolicy": "ClusterFirstWithHostNet",
                            "securityContext": pod_security(),
                            "containers": [container],
                            "volumes": [
                                {"name": "varlogcontainers", "hostPath": {"path": "/var/log/containers"}},
                                {"name": "varlogpods", "hostPath": {"path": "/var/log/pods"}},
                                {"name": "backend-ca", "configMap": {"name": CA_CONFIGMAP}},
                                {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                            ],
                        },
                    }
                },
            },
            opts=pulumi.ResourceOptions.merge(self._workload_depends(), pulumi.ResourceOptions(depends_on=[operator])),
        )
