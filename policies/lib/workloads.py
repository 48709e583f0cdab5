"""Every pod a resource runs, as a pod spec, however the resource is written: Pods and the workload controllers
(Deployments, DaemonSets, StatefulSets, ReplicaSets, Jobs, CronJobs), the ECK custom resources' pod templates
(Elasticsearch nodeSets, Kibana, Beat, Agent, Logstash), and the pod settings in the values of the Fluent Bit and
Alloy charts (hostNetwork, security contexts, host volumes and their mounts). Chart-rendered objects that reach the
pack as ordinary Kubernetes resources are covered by the first case."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource

from policies.lib.kubernetes import chart_of, is_collector, namespace_of, values_of
from policies.lib.types import AGENT, BEAT, ES, KIBANA, LOGSTASH, WORKLOAD_TYPES
from policies.lib.values import as_list, get, provider_key, truthy

ECK_POD_TEMPLATES: dict[str, tuple[tuple[str, ...], ...]] = {
    KIBANA: (("spec", "podTemplate", "spec"),),
    LOGSTASH: (("spec", "podTemplate", "spec"),),
    BEAT: (("spec", "daemonSet", "podTemplate", "spec"), ("spec", "deployment", "podTemplate", "spec")),
    AGENT: (
        ("spec", "daemonSet", "podTemplate", "spec"),
        ("spec", "deployment", "podTemplate", "spec"),
        ("spec", "statefulSet", "podTemplate", "spec"),
    ),
}
LOGGING_CHARTS = (
    "loki",
    "fluent-bit",
    "alloy",
    "fluentd",
    "grafana",
    "eck-operator",
    "eck-stack",
    "eck-elasticsearch",
    "eck-kibana",
    "jaeger",
)


@dataclass(frozen=True)
class PodView:
    """One pod template: `where` names it in messages, `spec` has the shape of a Kubernetes PodSpec."""

    resource: PolicyResource
    where: str
    spec: Mapping[str, Any]

    @property
    def containers(self) -> list[Any]:
        return as_list(get(self.spec, "containers")) + as_list(get(self.spec, "initContainers"))


def _fluent_bit(values: Mapping[str, Any]) -> dict[str, Any]:
    container = {
        "name": "fluent-bit",
        "image": get(values, "image"),
        "securityContext": get(values, "securityContext"),
        "resources": get(values, "resources"),
        "volumeMounts": as_list(get(values, "daemonSetVolumeMounts")) + as_list(get(values, "extraVolumeMounts")),
    }
    return {
        "hostNetwork": get(values, "hostNetwork"),
        "securityContext": get(values, "podSecurityContext"),
        "automountServiceAccountToken": get(values, "automountServiceAccountToken"),
        "containers": [container],
        "volumes": as_list(get(values, "daemonSetVolumes")) + as_list(get(values, "extraVolumes")),
    }


def _alloy(values: Mapping[str, Any]) -> dict[str, Any]:
    mounts = as_list(get(values, "alloy", "mounts", "extra"))
    volumes = as_list(get(values, "controller", "volumes", "extra"))
    # The chart's own switches mount the host's log directories read-only.
    for switch, path in (("varlog", "/var/log"), ("dockercontainers", "/var/lib/docker/containers")):
        if truthy(get(values, "alloy", "mounts", switch)):
            volumes.append({"name": switch, "hostPath": {"path": path}})
            mounts.append({"name": switch, "mountPath": path, "readOnly": True})
    container = {
        "name": "alloy",
        "image": get(values, "image"),
        "securityContext": get(values, "alloy", "securityContext"),
        "resources": get(values, "alloy", "resources"),
        "volumeMounts": mounts,
    }
    return {
        "hostNetwork": get(values, "controller", "hostNetwork"),
        "hostPID": get(values, "controller", "hostPID"),
        "securityContext": get(values, "controller", "podSecurityContext"),
        "containers": [container],
        "volumes": volumes,
    }


def _fluentd(values: Mapping[str, Any]) -> dict[str, Any]:
    mounts, volumes = as_list(get(values, "volumeMounts")), as_list(get(values, "volumes"))
    # The chart mounts the host's log directories unless told not to (both switches default to true).
    for switch, path in (("mountVarLogDirectory", "/var/log"), ("mountDockerContainersDirectory", "/var/lib/docker/containers")):
        if get(values, switch) is not False:
            volumes.append({"name": switch, "hostPath": {"path": path}})
            mounts.append({"name": switch, "mountPath": path})
    container = {
        "name": "fluentd",
        "image": get(values, "image"),
        "securityContext": get(values, "securityContext"),
        "resources": get(values, "resources"),
        "volumeMounts": mounts,
    }
    return {"securityContext": get(values, "podSecurityContext"), "containers": [container], "volumes": volumes}


_CHART_PODS = {"fluent-bit": _fluent_bit, "alloy": _alloy, "fluentd": _fluentd}


def pod_views(resource: PolicyResource) -> Iterator[PodView]:
    """The pod templates of one resource (none for resources that run no pods)."""
    t = resource.resource_type
    if t in WORKLOAD_TYPES:
        spec = get(resource.props, *WORKLOAD_TYPES[t])
        if isinstance(spec, Mapping):
            yield PodView(resource, ".".join(WORKLOAD_TYPES[t]), spec)
    elif t == ES:
        for i, node_set in enumerate(as_list(get(resource.props, "spec", "nodeSets"))):
            spec = get(node_set, "podTemplate", "spec")
            yield PodView(resource, f"spec.nodeSets[{i}].podTemplate.spec", spec if isinstance(spec, Mapping) else {})
    elif t in ECK_POD_TEMPLATES:
        found = [(path, get(resource.props, *path)) for path in ECK_POD_TEMPLATES[t]]
        for path, spec in found:
            if isinstance(spec, Mapping):
                yield PodView(resource, ".".join(path), spec)
    elif chart_of(resource) in _CHART_PODS:
        yield PodView(resource, "values", _CHART_PODS[chart_of(resource)](values_of(resource)))


def is_logging_workload(resource: PolicyResource) -> bool:
    """A workload the logging stack runs by itself: a collector, an ECK resource or a logging chart's release."""
    return is_collector(resource) or resource.resource_type in (ES, KIBANA, LOGSTASH) or chart_of(resource) in LOGGING_CHARTS


def logging_namespaces(resources: list[PolicyResource]) -> set[tuple[str, str]]:
    """(cluster provider, namespace) of every namespace that holds a logging workload."""
    return {(provider_key(r), namespace_of(r)) for r in resources if is_logging_workload(r)}


def logging_pods(resources: list[PolicyResource]) -> Iterator[PodView]:
    """Every pod template of the logging stack: its own workloads, and every workload in the namespaces they run in."""
    namespaces = logging_namespaces(resources)
    for resource in sorted(resources, key=lambda r: r.urn):
        if is_logging_workload(resource) or (provider_key(resource), namespace_of(resource)) in namespaces:
            yield from pod_views(resource)
