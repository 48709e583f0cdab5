"""Alloy collectors: verified TLS, labels, a WAL, Go templates that survive Helm, no usage reports."""

from __future__ import annotations

import re

from components.collectors.interface import BUFFER_HOST_PATH, CA_FILE
from preflight.record.recording import Recording
from tests.helpers.collector_lookups import (
    by_kind,
    ca_configmap,
    collectors,
    workload,
)
from tests.helpers.harness import STACKS, example_recording, stack_config
from tests.helpers.support import below, plain


def test_alloy_verifies_tls_labels_and_keeps_a_wal(example: Recording) -> None:
    config = stack_config(example.stack)
    alloys = by_kind(example, "Alloy")
    assert len(alloys) == sum(1 for c in config["logmesh:clusters"] if c.get("collector") == "alloy")
    for collector in alloys:
        cluster = next(c for c in config["logmesh:clusters"] if c["name"] == collector.name)
        values = workload(example, collector)
        river = values["alloy"]["configMap"]["content"]
        ca_configmap(example, collector)
        assert f'ca_file              = "{CA_FILE}"' in river and "insecure_skip_verify = false" in river
        assert re.search(r'url\s*=\s*"https://', river)
        external = re.search(r"external_labels = \{ (.*) \}", river)
        assert external is not None
        assert (
            external.group(1)
            == f'cloud = "{cluster["cloud"]}", cluster = "{cluster["name"]}", environment = "{config["logmesh:environment"]}"'
        )
        assert {label for label in re.findall(r'target_label\s*=\s*"(\w+)"', river) if not label.startswith("__")} == {
            "namespace",
            "container",
        }
        assert 'values = ["container", "filename"]' in river  # stage.label_drop: only namespace stays a label
        assert re.search(r"stage.structured_metadata \{\s*values = \{[^}]*trace_id", river)
        assert re.search(r"wal \{\s*enabled\s*= true", river)
        buffer = next(v for v in values["controller"]["volumes"]["extra"] if v["name"] == "buffer")
        assert buffer["hostPath"]["path"].startswith(BUFFER_HOST_PATH)
        assert {"name": "buffer", "mountPath": values["alloy"]["storagePath"]} in values["alloy"]["mounts"]["extra"]
        assert values["alloy"]["resources"]["limits"]
        assert 'sys.env("LOGMESH_OUTPUT_PASSWORD")' in river


def test_alloy_go_templates_survive_helm_tpl(example: Recording) -> None:
    for collector in by_kind(example, "Alloy"):
        [release] = below(example, collector, "kubernetes:helm.sh/v3:Release")
        raw = plain(release.inputs)["values"]["alloy"]["configMap"]["content"]
        assert '{{"{{"}} if .total_ns {{"}}"}}' in raw
        assert "{{ if .total_ns }}{{ mulf .total_ns 1e-06 }}{{ end }}" in workload(example, collector)["alloy"]["configMap"]["content"]


def test_alloy_sends_no_usage_reports() -> None:
    checked = 0
    for stack in STACKS:
        recording = example_recording(stack)
        for collector in collectors(recording).values():
            if collector.type == "logmesh:collectors:AlloyCollector":
                # grafana/alloy 1.11.1 passes --disable-reporting to Alloy when this is false (containers/_agent.yaml).
                assert workload(recording, collector)["alloy"]["enableReporting"] is False
                checked += 1
    assert checked
