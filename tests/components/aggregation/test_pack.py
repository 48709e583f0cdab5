"""The pack's collector rules on the Fluentd tier: staging's tier passes them, and a flawed copy of its release (an
output in clear, a forward input without TLS, a credential in the values, the host's logs mounted, a buffer
without a bound or larger than its volume) is caught."""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Callable
from typing import Any

import pytest

from preflight.record.recording import Recording, Registration
from tests.components.collectors.test_pack import analyze
from tests.helpers.harness import example_recording
from tests.helpers.support import descendants

POLICIES = {
    "collector-backend-tls",
    "no-plaintext-credentials",
    "collector-rbac-read-only",
    "logging-pods-host-isolated",
    "collector-buffering-bounded",
}


def tier_release(recording: Recording) -> Registration:
    [tier] = recording.of_type("logmesh:aggregation:FluentdAggregator")
    [release] = [r for r in descendants(recording, tier) if r.type == "kubernetes:helm.sh/v3:Release"]
    return release


def findings(recording: Recording, urn: str) -> list[str]:
    return sorted(f"{v.policy}: {v.message}" for v in analyze(recording).findings if v.urn == urn and v.policy in POLICIES)


def flawed(recording: Recording, change: Callable[[dict[str, Any]], None]) -> tuple[Recording, str]:
    release = tier_release(recording)
    inputs = copy.deepcopy(release.inputs)
    change(inputs["values"])
    changed = dataclasses.replace(release, inputs=inputs)
    return dataclasses.replace(recording, resources=[changed if r is release else r for r in recording.resources]), release.urn


def _configs(values: dict[str, Any]) -> dict[str, str]:
    return values["fileConfigs"]  # type: ignore[no-any-return]


def test_the_tier_passes_the_collector_rules() -> None:
    recording = example_recording("staging")
    assert findings(recording, tier_release(recording).urn) == []


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            lambda v: _configs(v).update(
                {"04_outputs.conf": _configs(v)["04_outputs.conf"].replace("insecure_tls false", "insecure_tls true")}
            ),
            "collector-backend-tls: Fluentd output loki turns off certificate verification",
        ),
        (
            lambda v: _configs(v).update({"04_outputs.conf": _configs(v)["04_outputs.conf"].replace("url https://", "url http://")}),
            "collector-backend-tls: Fluentd output loki is not https",
        ),
        (
            lambda v: _configs(v).update({"01_sources.conf": "<source>\n  @type forward\n  port 24224\n</source>\n"}),
            "collector-backend-tls: Fluentd forward input accepts connections without TLS",
        ),
        (
            lambda v: _configs(v).update(
                {"01_sources.conf": _configs(v)["01_sources.conf"].replace("\"#{ENV['LOGMESH_FORWARD_SHARED_KEY']}\"", "hunter2hunter2")}
            ),
            "no-plaintext-credentials: values.fileConfigs.01_sources.conf: shared_key",
        ),
        (
            lambda v: v["env"].append({"name": "LOGMESH_OUTPUT_PASSWORD", "value": "hunter2hunter2"}),
            "no-plaintext-credentials: values.env: LOGMESH_OUTPUT_PASSWORD as a literal env value",
        ),
        (
            lambda v: _configs(v).update({"04_outputs.conf": re.sub(r"\n\s*total_limit_size \S+", "", _configs(v)["04_outputs.conf"])}),
            "collector-buffering-bounded: Fluentd file buffer of <match kube.**> (loki) sets no total_limit_size",
        ),
        (
            lambda v: v["persistence"].update({"size": "1Gi"}),
            "collector-buffering-bounded: Fluentd file buffers hold up to",
        ),
    ],
    ids=[
        "insecure-tls",
        "plaintext-output",
        "plaintext-forward-input",
        "literal-shared-key",
        "literal-env-password",
        "unbounded-buffer",
        "buffer-larger-than-volume",
    ],
)
def test_a_flawed_tier_is_caught(change: Callable[[dict[str, Any]], None], expected: str) -> None:
    recording, urn = flawed(example_recording("staging"), change)
    assert any(f.startswith(expected) for f in findings(recording, urn)), findings(recording, urn)
