"""The pack's collector rules on the Logstash tier: the tier of staging switched to ELK with `aggregation: logstash`
passes them, and a flawed copy of its Logstash resource (an input or output in clear, verification off, a
credential in the pipeline text or a literal env value, a persisted queue without queue.max_bytes or larger than
its claim) is caught."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from preflight.record.recording import Recording, Registration
from tests.components.aggregation.test_logstash import logstash_staging
from tests.components.aggregation.test_pack import findings
from tests.helpers.support import descendants


@pytest.fixture(scope="module")
def staging() -> Recording:
    return logstash_staging()


def resource(recording: Recording) -> Registration:
    [tier] = recording.of_type("logmesh:aggregation:LogstashAggregator")
    [found] = [r for r in descendants(recording, tier) if r.type == "kubernetes:logstash.k8s.elastic.co/v1alpha1:Logstash"]
    return found


def flawed(recording: Recording, change: Callable[[dict[str, Any]], None]) -> tuple[Recording, str]:
    original = resource(recording)
    inputs = copy.deepcopy(original.inputs)
    change(inputs["spec"])
    changed = dataclasses.replace(original, inputs=inputs)
    return dataclasses.replace(recording, resources=[changed if r is original else r for r in recording.resources]), original.urn


def _pipeline(old: str, new: str) -> Callable[[dict[str, Any]], None]:
    def change(spec: dict[str, Any]) -> None:
        pipeline = spec["pipelines"][0]
        assert old in pipeline["config.string"]
        pipeline["config.string"] = pipeline["config.string"].replace(old, new, 1)

    return change


def test_the_tier_passes_the_collector_rules(staging: Recording) -> None:
    assert findings(staging, resource(staging).urn) == []


@pytest.mark.parametrize(
    "change, expected",
    [
        (_pipeline("ssl_enabled                  => true", "ssl_enabled => false"), "Logstash input http accepts connections without TLS"),
        (_pipeline('ssl_verification_mode       => "full"', 'ssl_verification_mode => "none"'), "Logstash output elasticsearch turns off"),
        (
            _pipeline("https://logmesh-es-http", "http://logmesh-es-http"),
            "Logstash output elasticsearch is not https",
        ),
        (
            _pipeline('password                     => "${LOGMESH_FORWARD_PASSWORD}"', 'password => "hunter2hunter2"'),
            "no-plaintext-credentials",
        ),
        (_pipeline('"${LOGMESH_OUTPUT_PASSWORD}"', '"hunter2hunter2"'), "no-plaintext-credentials"),
        (_pipeline(f"{'ssl_enabled':<27} => true", "ssl_enabled => false"), "Logstash output elasticsearch is not https"),
        (
            lambda spec: spec["podTemplate"]["spec"]["containers"][0]["env"].append({"name": "ES_PASSWORD", "value": "hunter2"}),
            "no-plaintext-credentials",
        ),
        (lambda spec: spec["pipelines"][0].pop("queue.max_bytes"), "queue.type persisted without queue.max_bytes"),
        (
            lambda spec: spec["volumeClaimTemplates"][0]["spec"]["resources"]["requests"].update({"storage": "1Gi"}),
            "more than the logstash-data claim's 1Gi",
        ),
    ],
)
def test_a_flawed_copy_is_caught(staging: Recording, change: Callable[[dict[str, Any]], None], expected: str) -> None:
    recording, urn = flawed(staging, change)
    assert any(expected in f for f in findings(recording, urn)), findings(recording, urn)
