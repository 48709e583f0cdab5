"""Views of Kubernetes resources however they are written, and the joins between them.

Resources are judged however they are written: Helm releases of the upstream charts (values as given,
including Fluent Bit's classic-format config strings and Alloy's config), raw Kubernetes objects and ECK
custom resources. Values files given as assets (`value_yaml_files`) are not visible to a policy pack.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs

from policies.examined import probe
from policies.lib.types import BEAT, ES, HELM_TYPES, KIBANA
from policies.lib.values import as_list, get, is_list, known, provider_key

COLLECTOR_CHARTS = {"fluent-bit": "fluent-bit", "alloy": "alloy", "fluentd": "fluentd"}
COLLECTOR_WORDS = ("fluent-bit", "fluentbit", "fluentd", "alloy", "filebeat", "vector", "promtail", "otel", "collector")


def as_resource(args: ResourceValidationArgs) -> PolicyResource:
    """The same view of a resource in resource and stack policies, so helpers serve both."""
    return PolicyResource(args.resource_type, args.props, args.urn, args.name, args.opts, args.provider, None, [], {})


@probe
def chart_of(resource: PolicyResource) -> str:
    """The chart name of a Helm release ('loki', 'fluent-bit', 'alloy', 'eck-operator', 'eck-stack'...), or ''."""
    if resource.resource_type not in HELM_TYPES:
        return ""
    chart = str(known(resource.props, "chart") or "")
    return chart.rstrip("/").rsplit("/", 1)[-1].lower()


def values_of(resource: PolicyResource) -> Mapping[str, Any]:
    values = get(resource.props, "values")
    return values if isinstance(values, Mapping) else {}


@probe
def namespace_of(resource: PolicyResource) -> str:
    if resource.resource_type in HELM_TYPES:
        return str(known(resource.props, "namespace") or "default")
    return str(known(resource.props, "metadata", "namespace") or "default")


@probe
def name_of(resource: PolicyResource) -> str:
    return str(known(resource.props, "metadata", "name") or known(resource.props, "name") or resource.name)


@probe
def is_collector(resource: PolicyResource) -> bool:
    """A log collector: a Fluent Bit, Alloy or Fluentd (aggregation tier) release, an ECK Beat, or a DaemonSet running a collector image."""
    if chart_of(resource) in COLLECTOR_CHARTS or resource.resource_type == BEAT:
        return True
    if resource.resource_type == "kubernetes:apps/v1:DaemonSet":
        images = [str(known(c, "image") or "") for c in as_list(known(resource.props, "spec", "template", "spec", "containers"))]
        return any(word in image for image in images for word in COLLECTOR_WORDS)
    return False


def string_leaves(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, string) for every string leaf of a values tree."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for k in value:
            yield from string_leaves(value[k], f"{path}.{k}" if path else str(k))
    elif is_list(value):
        for i, v in enumerate(value):
            yield from string_leaves(v, f"{path}[{i}]")


@probe
def backend_namespaces(resources: list[PolicyResource]) -> dict[tuple[str, str], PolicyResource]:
    """(cluster provider, namespace) -> a resource that runs a log backend (or Jaeger, the trace backend) there."""
    found: dict[tuple[str, str], PolicyResource] = {}
    for r in sorted(resources, key=lambda r: r.urn):
        if chart_of(r) in ("loki", "eck-elasticsearch", "eck-stack", "elasticsearch", "eck-kibana", "jaeger") or r.resource_type in (
            ES,
            KIBANA,
        ):
            found.setdefault((provider_key(r), namespace_of(r)), r)
    return found
