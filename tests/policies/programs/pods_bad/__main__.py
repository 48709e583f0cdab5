"""Logging pods and namespaces with one flaw each, named for the flaw. Cluster `labels` holds the Pod Security cases;
in cluster `pods` every namespace is labelled correctly and each workload breaks host isolation once."""

import pulumi
import pulumi_kubernetes as k8s

labels_cluster = k8s.Provider("labels", context="labels")
pods_cluster = k8s.Provider("pods", context="pods")
a = pulumi.ResourceOptions(provider=labels_cluster)
b = pulumi.ResourceOptions(provider=pods_cluster)
LOKI = {"chart": "loki", "repository_opts": {"repo": "https://grafana-community.github.io/helm-charts"}}
FLUENT_BIT = {"chart": "fluent-bit", "repository_opts": {"repo": "https://fluent.github.io/helm-charts"}}


def psa(enforce: str, warn: str | None = None, audit: str | None = None) -> dict[str, str]:
    levels = {"enforce": enforce, "warn": warn, "audit": audit}
    return {f"pod-security.kubernetes.io/{m}": v for m, v in levels.items() if v}


# Cluster `labels`.
k8s.core.v1.Namespace("logging-privileged", metadata={"name": "logging", "labels": psa("privileged")}, opts=a)
k8s.helm.v3.Release("loki", namespace="logging", **LOKI, opts=a)
k8s.core.v1.Namespace("eck-baseline", metadata={"name": "elastic-system", "labels": psa("baseline", "restricted", "restricted")}, opts=a)
k8s.helm.v3.Release(
    "eck-operator", chart="eck-operator", namespace="elastic-system", repository_opts={"repo": "https://helm.elastic.co"}, opts=a
)
k8s.core.v1.Namespace("collectors-privileged-silent", metadata={"name": "collectors", "labels": psa("privileged")}, opts=a)
k8s.helm.v3.Release("fluent-bit", namespace="collectors", **FLUENT_BIT, opts=a)
k8s.helm.v3.Release("loki-in-undeclared-namespace", namespace="logs", **LOKI, opts=a)
# A patch that lowers what the namespace declared.
k8s.core.v1.Namespace("kibana-ns", metadata={"name": "kibana", "labels": psa("restricted")}, opts=a)
k8s.core.v1.NamespacePatch("kibana-ns-lowered", metadata={"name": "kibana", "labels": psa("baseline")}, opts=a)
k8s.apiextensions.CustomResource(
    "kibana",
    api_version="kibana.k8s.elastic.co/v1",
    kind="Kibana",
    metadata={"namespace": "kibana", "name": "logs"},
    spec={"version": "8.19.0"},
    opts=a,
)

# Cluster `pods`.
restricted, collectors = psa("restricted"), psa("privileged", "baseline", "baseline")
k8s.core.v1.Namespace("pods-logging", metadata={"name": "logging", "labels": restricted}, opts=b)
k8s.core.v1.Namespace("pods-collectors", metadata={"name": "collectors", "labels": collectors}, opts=b)
k8s.apiextensions.CustomResource(
    "filebeat-host-namespaces",
    api_version="beat.k8s.elastic.co/v1beta1",
    kind="Beat",
    metadata={"namespace": "collectors", "name": "filebeat"},
    spec={
        "type": "filebeat",
        "version": "8.19.0",
        "daemonSet": {
            "podTemplate": {
                "spec": {
                    "hostPID": True,
                    "hostNetwork": True,
                    "containers": [{"name": "filebeat", "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}],
                }
            }
        },
    },
    opts=b,
)
k8s.helm.v3.Release("fluent-bit-host-network", namespace="collectors", values={"hostNetwork": True}, **FLUENT_BIT, opts=b)
k8s.helm.v3.Release("alloy-host-pid", chart="alloy", namespace="collectors", values={"controller": {"hostPID": True}}, opts=b)


def collector(name: str, volumes: list, mounts: list, **pod: object) -> None:
    k8s.apps.v1.DaemonSet(
        name,
        metadata={"namespace": "collectors"},
        spec={
            "selector": {"match_labels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [{"name": "vector", "image": "timberio/vector:0.50.0", "volume_mounts": mounts}],
                    "volumes": volumes,
                    **pod,
                },
            },
        },
        opts=b,
    )


collector("writes-host-logs", [{"name": "log", "host_path": {"path": "/var/log"}}], [{"name": "log", "mount_path": "/var/log"}])
collector(
    "mounts-host-etc",
    [{"name": "etc", "host_path": {"path": "/var/log/../../etc"}}],
    [{"name": "etc", "mount_path": "/host/etc", "read_only": True}],
)
k8s.apiextensions.CustomResource(
    "es-privileged-init",
    api_version="elasticsearch.k8s.elastic.co/v1",
    kind="Elasticsearch",
    metadata={"namespace": "logging", "name": "logs"},
    spec={
        "version": "8.19.0",
        "nodeSets": [
            {
                "name": "default",
                "count": 1,
                "podTemplate": {"spec": {"initContainers": [{"name": "sysctl", "securityContext": {"privileged": True}}]}},
            }
        ],
    },
    opts=b,
)
# Not a logging workload itself, but it runs in the logging namespace.
k8s.apps.v1.Deployment(
    "sidecar-host-ipc",
    metadata={"namespace": "logging"},
    spec={
        "selector": {"match_labels": {"app": "proxy"}},
        "template": {
            "metadata": {"labels": {"app": "proxy"}},
            "spec": {"host_ipc": True, "containers": [{"name": "proxy", "image": "proxy:1"}]},
        },
    },
    opts=b,
)
k8s.core.v1.Pod(
    "pod-adds-net-admin",
    metadata={"namespace": "logging"},
    spec={"containers": [{"name": "debug", "image": "busybox:1.37", "security_context": {"capabilities": {"add": ["NET_ADMIN"]}}}]},
    opts=b,
)
