"""The platform's topology, derived from the recorded resources alone, and its Mermaid diagram.

Nodes are the `logmesh:<area>:<Name>` components below the platform (stores, keys, backends, collectors, meshes,
...), each resource belonging to its nearest such ancestor. A node sits in a cluster when its Kubernetes resources
use exactly one Kubernetes provider (one provider per cluster). Edges come from resource dependencies between
nodes: a collector that depends on a backend ships to it, a backend that depends on a store writes to it. A third
party that a resource names in its `logmesh.io/external-destination` annotation (a Datadog intake) is a node outside
every cluster, with an edge from the node that sends to it. A program
with no logmesh components falls back to its top-level resources, so any Pulumi program gets a diagram.
Everything is one pass over resources and dependencies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from preflight.record.recording import Recording, Registration

K8S_PROVIDER = "pulumi:providers:kubernetes"
KEY_TYPES = {"aws:kms/key:Key", "gcp:kms/cryptoKey:CryptoKey"}
# Enough for a readable diagram and well inside GitHub's Mermaid limits (text size, 500 edges).
MAX_NODES = 60

_KINDS = {
    "storage": "store",
    "stores": "store",
    "keys": "keys",
    "backends": "backend",
    "collectors": "collector",
    "aggregation": "aggregation",
    "mesh": "mesh",
    "identity": "identity",
    "alerts": "alerts",
    "sinks": "sink",
}
# The span path's components are told apart by their type (components/tracing/component.py).
_TYPE_KINDS = {"logmesh:tracing:JaegerTracing": "traces", "logmesh:tracing:MeshSpans": "spans", "logmesh:tracing:TracingPki": "pki"}
_KIND_ORDER = {
    "store": 0,
    "keys": 1,
    "backend": 2,
    "aggregation": 3,
    "collector": 4,
    "sink": 5,
    "mesh": 6,
    "traces": 7,
    "spans": 8,
    "identity": 9,
    "alerts": 10,
    "pki": 11,
}
# A resource that names a third party it sends logs to (components/sinks/): drawn as a node outside every cluster.
DESTINATION_ANNOTATION = "logmesh.io/external-destination"
_EDGE_LABELS = {
    ("collector", "backend"): "ships to",
    ("collector", "store"): "ships to",
    ("collector", "sink"): "ships to",
    ("collector", "aggregation"): "forwards to",
    ("aggregation", "backend"): "writes to",
    ("mesh", "collector"): "access logs",
    ("mesh", "backend"): "access logs",
    ("backend", "store"): "stores in",
    ("backend", "keys"): "encrypts with",
    ("store", "keys"): "encrypted with",
    ("backend", "identity"): "runs as",
    ("store", "identity"): "grants",
    ("alerts", "backend"): "queries",
    ("spans", "traces"): "spans (mTLS)",
    ("traces", "backend"): "beside",
    ("traces", "keys"): "encrypts with",
    ("traces", "pki"): "certificate from",
    ("spans", "pki"): "client certificate from",
    ("backend", "pki"): "trusts",
}


@dataclass
class Node:
    id: str
    label: str
    kind: str
    cluster: str = ""  # a Cluster id, or "" outside any cluster
    detail: str = ""  # cloud and region for cloud resources


@dataclass
class Cluster:
    id: str
    label: str


@dataclass
class Edge:
    source: str
    target: str
    label: str


@dataclass
class Topology:
    nodes: list[Node] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    omitted: int = 0
    generic: bool = False  # True when the program has no logmesh components


def _logmesh_area(r: Registration) -> str | None:
    parts = r.type.split(":")
    if r.custom or len(parts) != 3 or parts[0] != "logmesh" or parts[1] == "platform":
        return None
    return parts[1]


def _provider_urn(reference: str) -> str:
    return reference.rsplit("::", 1)[0] if reference else ""


def _cluster_label(provider: Registration) -> str:
    return provider.name.removesuffix("-k8s")


def _package(type_: str) -> str:
    if type_.startswith("pulumi:providers:"):
        return type_.removeprefix("pulumi:providers:")
    return type_.split(":", 1)[0]


def build_topology(recording: Recording) -> Topology:
    resources = recording.resources
    by_urn = {r.urn: r for r in resources}
    units = {r.urn for r in resources if _logmesh_area(r) is not None}
    generic = not units
    if generic:
        units = _generic_units(resources)

    unit_of: dict[str, str] = {}

    def resolve(urn: str) -> str:
        chain: list[str] = []
        found = ""
        # Each node once: a parent cycle in a state export (even a self-parent) must end the walk, not loop forever.
        while urn and urn in by_urn and urn not in chain:
            if urn in unit_of:
                found = unit_of[urn]
                break
            chain.append(urn)
            if urn in units:
                found = urn
                break
            urn = by_urn[urn].parent
        for link in chain:
            unit_of[link] = found
        return found

    for r in resources:
        resolve(r.urn)
    # Keys are drawn on their own even when a store creates them itself: the diagram shows what encrypts what.
    containers: dict[str, str] = {}
    if not generic:
        for r in resources:
            container = unit_of.get(r.urn, "")
            if r.custom and r.type in KEY_TYPES and not (container and _kind(by_urn[container]) == "keys"):
                units.add(r.urn)
                containers[r.urn] = container
                unit_of[r.urn] = r.urn

    providers = {r.urn: r for r in resources if r.type.startswith("pulumi:providers:")}
    unit_clusters: dict[str, set[str]] = {}
    unit_scopes: dict[str, tuple[str, str]] = {}
    for r in resources:
        unit = unit_of.get(r.urn, "")
        if not unit or not r.custom:
            continue
        provider = providers.get(_provider_urn(r.provider))
        if provider is not None and provider.type == K8S_PROVIDER:
            unit_clusters.setdefault(unit, set()).add(provider.urn)
        elif unit not in unit_scopes and _package(r.type) in ("aws", "gcp"):
            # The explicit provider's region, or (default provider) the region the resource reports.
            scope = provider.inputs if provider is not None else {**r.inputs, **r.outputs}
            region = scope.get("region") or scope.get("location") or ""
            unit_scopes[unit] = (_package(r.type), region.lower() if isinstance(region, str) else "")
    for urn in units:
        if by_urn[urn].type == K8S_PROVIDER:
            unit_clusters.setdefault(urn, set()).add(urn)

    topology = Topology(generic=generic)
    ordered = sorted(units, key=lambda u: (_KIND_ORDER.get(_kind(by_urn[u]), 9), by_urn[u].type, by_urn[u].name))
    drawn = ordered[:MAX_NODES]
    topology.omitted = len(ordered) - len(drawn)
    ids = {urn: f"n{i}" for i, urn in enumerate(drawn)}
    cluster_ids: dict[str, str] = {}
    for urn in drawn:
        r = by_urn[urn]
        clusters = unit_clusters.get(urn, set())
        cluster = ""
        if len(clusters) == 1:
            provider_urn = next(iter(clusters))
            if provider_urn not in cluster_ids:
                cluster_ids[provider_urn] = f"c{len(cluster_ids)}"
                topology.clusters.append(Cluster(cluster_ids[provider_urn], _cluster_label(by_urn[provider_urn])))
            cluster = cluster_ids[provider_urn]
        package, region = unit_scopes.get(urn, ("", ""))
        detail = " ".join(p for p in (package, region) if p) if not cluster else ""
        topology.nodes.append(Node(ids[urn], _label(r), _kind(r), cluster, detail))
    # Clusters that no drawn node runs in still appear, so every cluster of the stack is on the diagram.
    for provider in sorted(providers.values(), key=lambda p: p.name):
        if provider.type == K8S_PROVIDER and provider.urn not in cluster_ids and len(topology.nodes) < MAX_NODES:
            cluster_ids[provider.urn] = f"c{len(cluster_ids)}"
            topology.clusters.append(Cluster(cluster_ids[provider.urn], _cluster_label(provider)))
            topology.nodes.append(Node(f"n{len(topology.nodes)}", "no components", "empty", cluster_ids[provider.urn]))

    seen: set[tuple[str, str]] = set()
    _add_destinations(resources, unit_of, ids, topology, seen)
    kinds = {n.id: n.kind for n in topology.nodes}
    for r in resources:
        source = ids.get(unit_of.get(r.urn, ""))
        if source is None:
            continue
        for dependency in dict.fromkeys(_dependencies(r)):  # in recorded order (sorted: preflight/record/program.py)
            target_urn = unit_of.get(dependency, "") or resolve(dependency)
            target = ids.get(target_urn)
            if target is None or target == source or (source, target) in seen:
                continue
            if containers.get(unit_of.get(r.urn, "")) == target_urn:
                continue  # a key's policy naming its own store's roles: containment, not a data flow
            seen.add((source, target))
            topology.edges.append(Edge(source, target, _EDGE_LABELS.get((kinds[source], kinds[target]), "uses")))
    return topology


def _add_destinations(
    resources: list[Registration], unit_of: dict[str, str], ids: dict[str, str], topology: Topology, seen: set[tuple[str, str]]
) -> None:
    """A node per third-party destination the resources name, and an edge from each node that sends there."""
    externals: dict[str, str] = {}
    for r in resources:
        metadata = r.inputs.get("metadata") if isinstance(r.inputs, dict) else None
        annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
        destination = annotations.get(DESTINATION_ANNOTATION) if isinstance(annotations, dict) else None
        source = ids.get(unit_of.get(r.urn, ""))
        if not isinstance(destination, str) or source is None:
            continue
        if destination not in externals:
            if len(topology.nodes) >= MAX_NODES:
                topology.omitted += 1
                continue
            externals[destination] = f"x{len(externals)}"
            topology.nodes.append(Node(externals[destination], destination, "external", "", "third party"))
        if (source, externals[destination]) not in seen:
            seen.add((source, externals[destination]))
            topology.edges.append(Edge(source, externals[destination], "sends logs to"))


def _dependencies(r: Registration) -> Iterable[str]:
    yield from r.dependencies
    for urns in r.property_dependencies.values():
        yield from urns


def _generic_units(resources: list[Registration]) -> set[str]:
    """Top-level resources, or the children of a lone top-level component (a program wrapped in one component)."""
    top = [r for r in resources if not r.parent]
    if len(top) == 1 and not top[0].custom:
        children = [r for r in resources if r.parent == top[0].urn]
        if children:
            top = children
    return {r.urn for r in top if not (r.type.startswith("pulumi:providers:") and r.type != K8S_PROVIDER)}


def _kind(r: Registration) -> str:
    area = _logmesh_area(r)
    if area is not None:
        return _TYPE_KINDS.get(r.type) or _KINDS.get(area, area)
    if r.type == K8S_PROVIDER:
        return "cluster"
    if r.type in KEY_TYPES:
        return "keys"
    return "resource" if r.custom else "component"


def _label(r: Registration) -> str:
    if r.type == K8S_PROVIDER:
        return "cluster"
    short_type = r.type.rsplit(":", 1)[-1]
    return f"{short_type} {r.name}"


_SHAPES = {
    "store": ('[("', '")]'),
    "keys": ('{{"', '"}}'),
    "collector": ('(["', '"])'),
    "mesh": ('[/"', '"/]'),
    "backend": ('[["', '"]]'),
    "aggregation": ('>"', '"]'),
    "traces": ('[["', '"]]'),
    "spans": ('[/"', '"/]'),
    "empty": ('["', '"]'),
    "external": ('>"', '"]'),
}


def _text(value: str) -> str:
    return value.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def mermaid(topology: Topology) -> str:
    """A `flowchart LR` GitHub renders in place: one subgraph per cluster, stores and keys outside."""
    lines = ["flowchart LR"]

    def node_line(node: Node, indent: str) -> str:
        opening, closing = _SHAPES.get(node.kind, ('["', '"]'))
        label = _text(node.label) + (f"<br/>{_text(node.detail)}" if node.detail else "")
        return f"{indent}{node.id}{opening}{label}{closing}"

    by_cluster: dict[str, list[Node]] = {}
    for node in topology.nodes:
        by_cluster.setdefault(node.cluster, []).append(node)
    for cluster in topology.clusters:
        lines.append(f'  subgraph {cluster.id}["cluster {_text(cluster.label)}"]')
        lines.extend(node_line(n, "    ") for n in by_cluster.get(cluster.id, []))
        lines.append("  end")
    lines.extend(node_line(n, "  ") for n in by_cluster.get("", []))
    lines.extend(f"  {e.source} -->|{_text(e.label)}| {e.target}" for e in topology.edges)
    if len(lines) == 1:
        lines.append('  empty["no resources"]')
    return "\n".join(lines)
