"""Nothing reaches a collector's pods over the network (Fluent Bit's HTTP server on 2020, Alloy's UI on 12345), while
their egress stays open; and Alloy sends no usage reports. On the resources as the SDK registers them."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from components.names import COLLECTOR_NAMESPACE
from preflight.recorder import Recording
from tests.components.collectors.test_base import BEAT, RELEASE, collectors, manifest, workload
from tests.harness import STACKS, example_recording
from tests.support import below, descendants, plain

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def test_every_collector_namespace_denies_all_ingress_and_leaves_egress_open(
    any_example: tuple[Recording, dict[str, Any]],
) -> None:
    recording, config = any_example
    found = collectors(recording)
    assert set(found) == {c["name"] for c in config["logmesh:clusters"]}
    for collector in found.values():
        [policy] = below(recording, collector, NETWORK_POLICY)
        inputs = plain(policy.inputs)
        assert inputs["metadata"]["namespace"] == COLLECTOR_NAMESPACE
        # Every pod of the namespace, isolated for ingress with no rule that admits anything; egress not isolated.
        assert inputs["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
        kubernetes_validate.validate(manifest(policy), "1.33", strict=True)
        # The policy exists before the collector's pods do.
        [pods_owner] = [
            r
            for r in descendants(recording, collector)
            if r.type == BEAT or (r.type == RELEASE and r.inputs["chart"] in ("fluent-bit", "alloy"))
        ]
        assert policy.urn in pods_owner.dependencies


def test_validation_catches_a_bad_collector_policy(example: Recording) -> None:
    collector = next(iter(collectors(example).values()))
    [policy] = below(example, collector, NETWORK_POLICY)
    broken = manifest(policy)
    broken["spec"]["policyTypes"] = "Ingress"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.33", strict=True)


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
