"""A flawed copy of prod's span path is caught: Jaeger receivers in plaintext, or accepting any sender, give a
mandatory violation on exactly the weakened release, with either backend."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from preflight.analyze.config import load_policy_config, resolve_config
from preflight.analyze.pack import load_policy_pack
from preflight.analyze.servicer import Analyzer
from preflight.record.recording import Recording
from tests.helpers.harness import ROOT, elk_recording, example_recording

PACK = load_policy_pack(ROOT / "policies")


def plaintext(receivers: dict[str, Any]) -> None:
    for protocol in receivers["otlp"]["protocols"].values():
        protocol.pop("tls")


def unauthenticated(receivers: dict[str, Any]) -> None:
    receivers["zipkin"]["tls"].pop("client_ca_file")


@pytest.mark.parametrize("backend", ["loki", "elk"])
@pytest.mark.parametrize(("flaw", "expected"), [(plaintext, "in plaintext"), (unauthenticated, "any sender is accepted")])
def test_a_weakened_jaeger_release_is_a_mandatory_violation(backend: str, flaw: Callable[[dict[str, Any]], None], expected: str) -> None:
    recording = copy.deepcopy(example_recording("prod") if backend == "loki" else elk_recording("prod"))
    [release, *_] = [r for r in recording.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "jaeger"]
    flaw(release.inputs["values"]["userconfig"]["receivers"])
    config = load_policy_config(ROOT / "policies" / "config" / "prod.json")
    mandatory = (
        Analyzer(PACK, resolve_config(PACK, config))
        .analyze(Recording(recording.project, recording.stack, recording.mode, recording.resources))
        .mandatory
    )
    assert {(v.policy, v.urn) for v in mandatory} == {("trace-receivers-authenticated", release.urn)}
    assert all(expected in v.message for v in mandatory)
