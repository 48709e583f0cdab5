"""The Mermaid topology, derived from component types, parent links, providers and dependencies alone."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from preflight.record.program import record_program
from preflight.record.recording import Recording, Registration
from preflight.report.topology import build_topology, mermaid
from tests.preflight.conftest import S3_PROGRAM, write_project

# Shaped like logmesh: a platform with a store (bucket + key), a backend on cluster a, collectors on a and b,
# and mesh access logs on b, each component parenting its resources and using one Kubernetes provider.
FLEET = """\
import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s


class Part(pulumi.ComponentResource):
    def __init__(self, type_, name, opts=None):
        super().__init__(type_, name, None, opts)


platform = Part("logmesh:platform:LogPlatform", "logmesh")
under = pulumi.ResourceOptions(parent=platform)
clusters = {c: k8s.Provider(f"{c}-k8s", context=c, opts=under) for c in ("eks-a", "gke-b")}
store = Part("logmesh:storage:AwsLogStore", "use1", under)
key = aws.kms.Key("use1-key", opts=pulumi.ResourceOptions(parent=store))
bucket = aws.s3.Bucket("use1-logs", opts=pulumi.ResourceOptions(parent=store))
aws.s3.BucketServerSideEncryptionConfiguration(
    "use1-logs-encryption", bucket=bucket.id,
    rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": key.arn}}],
    opts=pulumi.ResourceOptions(parent=store),
)
backend = Part("logmesh:backends:LokiBackend", "use1-loki", under)
service = k8s.core.v1.Service(
    "loki-gateway", metadata={"namespace": "logging", "annotations": {"bucket": bucket.bucket}},
    opts=pulumi.ResourceOptions(parent=backend, provider=clusters["eks-a"]),
)
for cluster, mesh in (("eks-a", False), ("gke-b", True)):
    collector = Part("logmesh:collectors:FluentBitCollector", f"{cluster}-fluent-bit", under)
    k8s.core.v1.ConfigMap(
        f"{cluster}-fluent-bit-config", data={"host": service.metadata.name},
        opts=pulumi.ResourceOptions(parent=collector, provider=clusters[cluster]),
    )
    if mesh:
        logs = Part("logmesh:mesh:MeshAccessLogs", f"{cluster}-istio", under)
        k8s.core.v1.ConfigMap(f"{cluster}-telemetry", data={"format": "json"},
                              opts=pulumi.ResourceOptions(parent=logs, provider=clusters[cluster]))
"""


def test_logmesh_shaped_program(tmp_path: Path) -> None:
    project = write_project(tmp_path / "fleet", FLEET, name="fleet")
    topology = build_topology(record_program(project, "fleet", "dev", {}))
    assert not topology.generic and topology.omitted == 0
    labels = {n.label: n for n in topology.nodes}
    clusters = {c.id: c.label for c in topology.clusters}
    assert sorted(clusters.values()) == ["eks-a", "gke-b"]
    assert clusters[labels["LokiBackend use1-loki"].cluster] == "eks-a"
    assert clusters[labels["FluentBitCollector eks-a-fluent-bit"].cluster] == "eks-a"
    assert clusters[labels["FluentBitCollector gke-b-fluent-bit"].cluster] == "gke-b"
    assert clusters[labels["MeshAccessLogs gke-b-istio"].cluster] == "gke-b"
    assert labels["AwsLogStore use1"].cluster == "" and labels["AwsLogStore use1"].detail == "aws us-east-1"
    assert labels["Key use1-key"].kind == "keys"
    edges = {(_label(topology, e.source), e.label, _label(topology, e.target)) for e in topology.edges}
    assert edges == {
        ("FluentBitCollector eks-a-fluent-bit", "ships to", "LokiBackend use1-loki"),
        ("FluentBitCollector gke-b-fluent-bit", "ships to", "LokiBackend use1-loki"),
        ("LokiBackend use1-loki", "stores in", "AwsLogStore use1"),
        ("AwsLogStore use1", "encrypted with", "Key use1-key"),
    }
    diagram = mermaid(topology)
    assert diagram.startswith("flowchart LR\n")
    assert diagram.count("subgraph ") == 2 and diagram.count("\n  end") == 2
    assert re.search(r'n\d+\[\("AwsLogStore use1<br/>aws us-east-1"\)\]', diagram)
    assert re.search(r"n\d+ -->\|ships to\| n\d+", diagram)


def _label(topology, node_id: str) -> str:  # type: ignore[no-untyped-def]
    return next(n.label for n in topology.nodes if n.id == node_id)


def test_non_logmesh_program_falls_back_to_top_level_resources(tmp_path: Path) -> None:
    project = write_project(tmp_path / "outside", S3_PROGRAM)
    topology = build_topology(record_program(project, "outside", "dev", {}))
    assert topology.generic
    assert sorted(n.label for n in topology.nodes) == ["Bucket plain", "Bucket site", "BucketPolicy plain-policy", "RandomPassword token"]
    assert {(_label(topology, e.source), _label(topology, e.target)) for e in topology.edges} == {
        ("BucketPolicy plain-policy", "Bucket plain"),
        ("Bucket site", "RandomPassword token"),
    }


def test_labels_are_escaped(tmp_path: Path) -> None:
    project = write_project(tmp_path / "q", "import pulumi_aws as aws\naws.s3.Bucket('say \"hi\" <b>')\n", name="q")
    diagram = mermaid(build_topology(record_program(project, "q", "dev", {})))
    assert 'n0["Bucket say #quot;hi#quot; #lt;b#gt;<br/>aws us-east-1"]' in diagram


def _cycle(urns: list[str], parents: list[str]) -> Recording:
    resources = [
        Registration(urn=u, type="aws:s3/bucket:Bucket", name=u.rsplit("::", 1)[-1], custom=True, parent=p, inputs={})
        for u, p in zip(urns, parents, strict=True)
    ]
    return Recording("cyc", "dev", "state", resources)


@pytest.mark.parametrize("shape", ["self", "pair"])
def test_a_parent_cycle_ends(shape: str) -> None:
    """A state export can name a parent cycle; the topology visits each node once (bounded: it used to loop forever)."""
    a, b = "urn:pulumi:dev::cyc::aws:s3/bucket:Bucket::a", "urn:pulumi:dev::cyc::aws:s3/bucket:Bucket::b"
    recording = _cycle([a], [a]) if shape == "self" else _cycle([a, b], [b, a])
    done: list[str] = []
    worker = threading.Thread(target=lambda: done.append(mermaid(build_topology(recording))), daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert done, "build_topology did not finish on a parent cycle"
    assert done[0].startswith("flowchart")


def test_an_external_log_destination_is_drawn_outside_every_cluster() -> None:
    """staging sends stg-eks's logs to Datadog: the sink sits in the cluster, the intake outside it, with the flow."""
    from tests.helpers.harness import example_recording

    topology = build_topology(example_recording("staging"))
    [external] = [n for n in topology.nodes if n.kind == "external"]
    assert (external.label, external.cluster) == ("datadog http-intake.logs.datadoghq.com", "")
    [sink] = [n for n in topology.nodes if n.kind == "sink"]
    [collector] = [n for n in topology.nodes if n.kind == "collector" and n.cluster == sink.cluster and "stg-eks" in n.label]
    edges = {(e.source, e.target): e.label for e in topology.edges}
    assert edges[(sink.id, external.id)] == "sends logs to"
    assert edges[(collector.id, sink.id)] == "ships to"
    assert f'{external.id}>"datadog http-intake.logs.datadoghq.com<br/>third party"]' in mermaid(topology)
