"""The topology diagram of a tracing stack shows the span path: each meshed cluster's span sender to its store's
Jaeger (mutual TLS), Jaeger beside the backend, encrypted with the store's key (Loki: Badger's volume)."""

from __future__ import annotations

from preflight.report.topology import build_topology, mermaid
from tests.helpers.harness import example_recording, stack_config


def test_prod_draws_the_trace_path_from_every_meshed_cluster_to_its_stores_jaeger() -> None:
    topology = build_topology(example_recording("prod"))
    assert topology.omitted == 0
    nodes = {n.id: n for n in topology.nodes}
    clusters = {c.id: c.label for c in topology.clusters}
    spans = [(nodes[e.source], nodes[e.target]) for e in topology.edges if e.label == "spans (mTLS)"]
    meshed = {c["name"] for c in stack_config("prod")["logmesh:clusters"] if c["mesh"] != "none"}
    assert {clusters[source.cluster] for source, _ in spans} == meshed
    assert all(source.kind == "spans" and target.kind == "traces" for source, target in spans)
    traces = [n for n in topology.nodes if n.kind == "traces"]
    assert len(traces) == 2
    for jaeger in traces:
        targets = {(e.label, nodes[e.target].kind) for e in topology.edges if e.source == jaeger.id}
        assert {("beside", "backend"), ("encrypts with", "keys")} <= targets
    assert "spans (mTLS)" in mermaid(topology)
