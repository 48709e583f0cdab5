"""The pods of a logging stack isolated from their nodes, in namespaces with Pod Security labels, written the ways
teams write them: Fluent Bit and Alloy chart values, an ECK Beat, Elasticsearch and Kibana, a raw collector
DaemonSet and a CronJob; an app Deployment on the host network outside the logging namespaces is not judged."""

import pulumi
import pulumi_kubernetes as k8s

cluster = k8s.Provider("cluster", context="main")
a = pulumi.ResourceOptions(provider=cluster)
restricted = {f"pod-security.kubernetes.io/{m}": "restricted" for m in ("enforce", "warn", "audit")}
# logmesh's baseline for every container (logging-pods-hardened); values keys in the charts' spelling.
HARDENED = {
    "capabilities": {"drop": ["ALL"]},
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}
REQUESTS = {"requests": {"cpu": "100m", "memory": "128Mi"}}
# Pod Security baseline forbids hostPath, which node log collectors need: privileged, with baseline warnings and audit.
host_log_collectors = {
    "pod-security.kubernetes.io/enforce": "privileged",
    "pod-security.kubernetes.io/warn": "baseline",
    "pod-security.kubernetes.io/audit": "baseline",
}
k8s.core.v1.Namespace("logging", metadata={"name": "logging", "labels": restricted}, opts=a)
k8s.core.v1.Namespace("collectors", metadata={"name": "collectors", "labels": host_log_collectors}, opts=a)
k8s.core.v1.Namespace("beats", metadata={"name": "beats", "labels": host_log_collectors}, opts=a)
# A namespace someone else created, labelled by a patch.
k8s.core.v1.NamespacePatch("elastic-system", metadata={"name": "elastic-system", "labels": restricted}, opts=a)

k8s.helm.v3.Release(
    "eck-operator", chart="eck-operator", namespace="elastic-system", repository_opts={"repo": "https://helm.elastic.co"}, opts=a
)
k8s.helm.v3.Release(
    "fluent-bit",
    chart="fluent-bit",
    namespace="collectors",
    repository_opts={"repo": "https://fluent.github.io/helm-charts"},
    values={
        "daemonSetVolumes": [
            {"name": "varlog", "hostPath": {"path": "/var/log"}},
            {"name": "buffer", "hostPath": {"path": "/var/lib/logmesh-collector/fluent-bit", "type": "DirectoryOrCreate"}},
        ],
        "daemonSetVolumeMounts": [
            {"name": "varlog", "mountPath": "/var/log", "readOnly": True},
            {"name": "buffer", "mountPath": "/var/fluent-bit/state"},
        ],
        "securityContext": {**HARDENED, "capabilities": {"drop": ["ALL"], "add": ["DAC_READ_SEARCH"]}},
        "resources": REQUESTS,
    },
    opts=a,
)
k8s.helm.v3.Release(
    "alloy",
    chart="alloy",
    namespace="collectors",
    repository_opts={"repo": "https://grafana.github.io/helm-charts"},
    values={
        "alloy": {"mounts": {"varlog": True}, "securityContext": HARDENED, "resources": REQUESTS},
        "controller": {"type": "daemonset"},
    },
    opts=a,
)
k8s.apiextensions.CustomResource(
    "filebeat",
    api_version="beat.k8s.elastic.co/v1beta1",
    kind="Beat",
    metadata={"namespace": "beats", "name": "filebeat"},
    spec={
        "type": "filebeat",
        "version": "8.19.0",
        "daemonSet": {
            "podTemplate": {
                "spec": {
                    "dnsPolicy": "ClusterFirst",
                    "containers": [
                        {
                            "name": "filebeat",
                            "securityContext": HARDENED,
                            "resources": REQUESTS,
                            "volumeMounts": [{"name": "pods", "mountPath": "/var/log/pods", "readOnly": True}],
                        }
                    ],
                    "volumes": [{"name": "pods", "hostPath": {"path": "/var/log/pods"}}],
                }
            }
        },
    },
    opts=a,
)
k8s.apiextensions.CustomResource(
    "elasticsearch",
    api_version="elasticsearch.k8s.elastic.co/v1",
    kind="Elasticsearch",
    metadata={"namespace": "logging", "name": "logs"},
    spec={
        "version": "8.19.0",
        "nodeSets": [
            {
                "name": "default",
                "count": 3,
                "podTemplate": {"spec": {"containers": [{"name": "elasticsearch", "securityContext": HARDENED, "resources": REQUESTS}]}},
            }
        ],
    },
    opts=a,
)
k8s.apiextensions.CustomResource(
    "kibana",
    api_version="kibana.k8s.elastic.co/v1",
    kind="Kibana",
    metadata={"namespace": "logging", "name": "logs"},
    spec={"version": "8.19.0", "count": 1, "elasticsearchRef": {"name": "logs"}},
    opts=a,
)
k8s.apps.v1.DaemonSet(
    "vector",
    metadata={"namespace": "collectors"},
    spec={
        "selector": {"match_labels": {"app": "vector"}},
        "template": {
            "metadata": {"labels": {"app": "vector"}},
            "spec": {
                "containers": [
                    {
                        "name": "vector",
                        "image": "timberio/vector:0.50.0",
                        "securityContext": HARDENED,
                        "resources": REQUESTS,
                        "volume_mounts": [{"name": "docker", "mount_path": "/var/lib/docker/containers", "read_only": True}],
                    }
                ],
                "volumes": [{"name": "docker", "host_path": {"path": "/var/lib/docker/containers"}}],
            },
        },
    },
    opts=a,
)
k8s.batch.v1.CronJob(
    "index-cleanup",
    metadata={"namespace": "logging"},
    spec={
        "schedule": "0 3 * * *",
        "job_template": {
            "spec": {
                "template": {
                    "spec": {
                        "restart_policy": "Never",
                        "automount_service_account_token": False,
                        "containers": [{"name": "curator", "image": "curator:8.0.21", "securityContext": HARDENED, "resources": REQUESTS}],
                    }
                }
            }
        },
    },
    opts=a,
)
k8s.apps.v1.Deployment(
    "app-on-host-network",
    metadata={"namespace": "apps"},
    spec={
        "selector": {"match_labels": {"app": "edge"}},
        "template": {
            "metadata": {"labels": {"app": "edge"}},
            "spec": {"host_network": True, "containers": [{"name": "edge", "image": "edge:1"}]},
        },
    },
    opts=a,
)
