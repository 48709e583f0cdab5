"""Mesh access logs are turned on where the stack says, in the shape the parsing rules read; the rules in Python parse
every real log line of tests/fixtures."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from components import mesh
from components.config.schema import ConfigError
from preflight.record.recording import Recording
from tests.helpers.collector_program import record
from tests.helpers.harness import run, stack_config
from tests.helpers.mesh_fixtures import LINES, NOT_ACCESS_LOGS, same
from tests.helpers.support import provider_name

TELEMETRY = "kubernetes:telemetry.istio.io/v1:Telemetry"
NAMESPACE_PATCH = "kubernetes:core/v1:NamespacePatch"


def mesh_objects(recording: Recording, cluster: str) -> list[Any]:
    return [r for r in recording.resources if r.type in (TELEMETRY, NAMESPACE_PATCH) and provider_name(r) == f"{cluster}-k8s"]


def test_example_clusters_turn_on_their_mesh_access_logs(example: Recording) -> None:
    config = stack_config(example.stack)
    components = {r.name: r for r in example.of_type("logmesh:mesh:MeshAccessLogs")}
    # The examples trace too (logmesh:tracing): the same Telemetry and annotations carry it (tests/components/tracing).
    sampling = config["logmesh:tracing"]["sampling_percent"]
    tracing = [{"providers": [{"name": "logmesh-zipkin"}], "randomSamplingPercentage": sampling}]
    for cluster in config["logmesh:clusters"]:
        assert f"{cluster['name']}-mesh" in components
        objects = mesh_objects(example, cluster["name"])
        if cluster["mesh"] == "istio":
            [telemetry] = objects
            assert telemetry.inputs["metadata"]["namespace"] == "istio-system"
            assert telemetry.inputs["spec"] == {"accessLogging": [{"providers": [{"name": mesh.ISTIO_PROVIDER_NAME}]}], "tracing": tracing}
        elif cluster["mesh"] == "linkerd":
            # Linkerd logs only the namespaces that opt in (the examples' Linkerd clusters list shop and payments).
            assert sorted(r.inputs["metadata"]["name"] for r in objects) == sorted(cluster.get("mesh_namespaces", []))
            for patch in objects:
                assert patch.inputs["metadata"]["annotations"]["config.linkerd.io/access-log"] == "json"
        else:
            assert objects == []


def test_opted_in_namespaces_get_the_linkerd_annotation_or_their_own_telemetry(tmp_path: Path) -> None:
    config = stack_config("staging")
    del config["logmesh:tracing"]
    [eks, gke] = config["logmesh:clusters"]
    assert (eks["mesh"], gke["mesh"]) == ("istio", "linkerd")
    eks["mesh_namespaces"] = ["shop", "payments"]
    gke["mesh_namespaces"] = ["emojivoto"]
    recording = record(config, tmp_path)
    [patch] = mesh_objects(recording, gke["name"])
    assert patch.type == NAMESPACE_PATCH
    assert patch.inputs["metadata"] == {"name": "emojivoto", "annotations": {"config.linkerd.io/access-log": "json"}}
    telemetries = mesh_objects(recording, eks["name"])
    assert sorted(t.inputs["metadata"]["namespace"] for t in telemetries) == ["payments", "shop"]
    assert all(t.type == TELEMETRY and t.inputs["apiVersion"] == "telemetry.istio.io/v1" for t in telemetries)


def test_mesh_namespaces_need_a_mesh() -> None:
    config = stack_config("dev")
    config["logmesh:clusters"][0].update(mesh="none", mesh_namespaces=["shop"])
    with pytest.raises(ConfigError) as caught:
        run(config)
    assert caught.value.problems == [
        "logmesh:clusters[0].mesh_namespaces: only for a cluster with a mesh; set mesh: istio or linkerd, or remove it"
    ]
    assert caught.value.registrations == []  # type: ignore[attr-defined]


def test_istio_provider_format_carries_what_the_rules_read() -> None:
    labels = mesh.ISTIO_EXTENSION_PROVIDER["envoyFileAccessLog"]["logFormat"]["labels"]
    assert labels["traceparent"] == "%REQ(TRACEPARENT)%"
    assert labels["request_id"] == "%REQ(X-REQUEST-ID)%"
    envoy = [f for f in mesh.ACCESS_LOG_FORMATS if f.mesh == "istio"]
    for fmt in envoy:
        for rule in fmt.rules:
            assert rule.source in labels, rule
    # The text regex names its groups after the same JSON keys, so one set of rules serves both encodings.
    text = next(f for f in envoy if f.encoding == "text")
    assert text.regex is not None
    assert set(re.compile(text.regex).groupindex) <= set(labels)


def test_rule_regexes_use_one_value_group() -> None:
    for fmt in mesh.ACCESS_LOG_FORMATS:
        for rule in fmt.rules:
            if rule.pattern is not None:
                assert list(re.compile(rule.pattern).groupindex) == ["value"]


def test_fixtures_cover_every_format_and_field() -> None:
    assert {f["format"] for f in LINES} == {f.name for f in mesh.ACCESS_LOG_FORMATS}
    assert set().union(*(f["expected"] for f in LINES)) == set(mesh.CANONICAL_FIELDS)


@pytest.mark.parametrize("fixture", LINES, ids=[f["name"] for f in LINES])
def test_python_rules_parse_every_field(fixture: dict[str, Any]) -> None:
    decoded = mesh.decode(fixture["line"])
    assert decoded is not None
    assert decoded[0].name == fixture["format"]
    same(mesh.apply_rules(*decoded), fixture["expected"])


@pytest.mark.parametrize("line", NOT_ACCESS_LOGS)
def test_other_lines_are_not_access_logs(line: str) -> None:
    assert mesh.parse_access_log(line) is None


def test_trace_id_never_comes_from_a_malformed_traceparent() -> None:
    fmt = next(f for f in mesh.ACCESS_LOG_FORMATS if f.name == "envoy-json")
    assert "trace_id" not in mesh.apply_rules(fmt, {"response_code": 200, "traceparent": "00-zz-00f067aa0ba902b7-01"})
