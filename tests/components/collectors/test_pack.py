"""The SOC 2 pack on the collectors, mesh access logs and alert rules: rules 27 (TLS), 30 (RBAC), 31 (credentials)
and 32 (a collector per cluster and an ingestion-gap alert) pass on every example, Loki and ELK, and rule 32 fails
when a collector or the gap alerts are taken away."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from components.alerts import catalog
from preflight.analyze.config import load_policy_config, resolve_config
from preflight.analyze.findings import Analysis
from preflight.analyze.pack import load_policy_pack
from preflight.analyze.servicer import Analyzer
from preflight.record.recording import Recording, Registration
from tests.helpers.harness import ROOT, elk_recording, stack_config
from tests.helpers.support import descendants

RULE_32 = "collector-and-gap-alert"
COLLECTOR_POLICIES = {
    "collector-backend-tls",
    "collector-rbac-read-only",
    "no-plaintext-credentials",
    "collector-buffering-bounded",
    RULE_32,
}
APPROVALS = "external-log-destination-approved"
_packs: list[Any] = []


def analyze(recording: Recording) -> Analysis:
    if not _packs:
        _packs.append(load_policy_pack(ROOT / "policies"))
    # The pack's defaults, with the stack's own approvals of third-party destinations (staging sends to Datadog).
    approvals = {k: v for k, v in load_policy_config(ROOT / "policies" / "config" / f"{recording.stack}.json").items() if k == APPROVALS}
    return Analyzer(_packs[0], resolve_config(_packs[0], approvals)).analyze(recording)


def owned_urns(recording: Recording) -> set[str]:
    tops = [r for r in recording.resources if r.type.startswith(("logmesh:collectors:", "logmesh:mesh:", "logmesh:alerts:"))]
    return {r.urn for top in tops for r in (top, *descendants(recording, top))}


@pytest.fixture(params=["loki", "elk"])
def recorded(request: pytest.FixtureRequest, example: Recording) -> Recording:
    if request.param == "loki":
        return example
    return elk_recording(example.stack)


def test_collectors_and_alerts_pass_the_pack(recorded: Recording) -> None:
    analysis = analyze(recorded)
    mine = owned_urns(recorded)
    findings = [f"{v.policy}: {v.message}" for v in analysis.mandatory if v.policy in COLLECTOR_POLICIES or v.urn in mine]
    assert findings == []
    # Advisory findings on collectors: they run as root to read the node's /var/log (documented exception), and
    # logmesh's baseline pod hardening (logging-pods-hardened), which the collectors' security contexts do not meet yet.
    advisory = {v.policy for v in analysis.advisory if v.urn in mine}
    assert advisory <= {"collector-runs-as-non-root", "logging-pods-hardened"}


def without(recording: Recording, drop: Any) -> Recording:
    return dataclasses.replace(recording, resources=[r for r in recording.resources if not drop(r)])


def rule_32_messages(recording: Recording) -> list[str]:
    return [v.message for v in analyze(recording).findings if v.policy == RULE_32]


def test_rule_32_fails_when_a_cluster_loses_its_collector(example: Recording) -> None:
    assert rule_32_messages(example) == []
    cluster = stack_config(example.stack)["logmesh:clusters"][-1]["name"]
    [collector] = [r for r in example.resources if r.type.startswith("logmesh:collectors:") and r.name == cluster]
    doomed = {r.urn for r in (collector, *descendants(example, collector))}
    assert rule_32_messages(without(example, lambda r: r.urn in doomed)) == [f"cluster {cluster}-k8s has no log collector"]


def test_rule_32_fails_without_the_ingestion_gap_alerts(recorded: Recording) -> None:
    """Each cluster's rule ConfigMap loses its ingestion-gap rule (Loki's file, or Kibana's two bodies); the other
    alerts stay."""
    gap_keys = {catalog.loki_rule_file(catalog.INGESTION_GAP)}
    gap_keys |= {catalog.kibana_rule_key(catalog.INGESTION_GAP, body) for body in catalog.KIBANA_RULE_BODIES}
    holders = {r.urn for r in recorded.resources if gap_keys & set(r.inputs.get("data") or {})}
    assert len(holders) == len(stack_config(recorded.stack)["logmesh:clusters"])

    def strip(r: Registration) -> Registration:
        if r.urn not in holders:
            return r
        data = {key: text for key, text in r.inputs["data"].items() if key not in gap_keys}
        assert data  # the other alerts
        # A stack policy reads the outputs (the state), the same data here.
        return dataclasses.replace(r, inputs={**r.inputs, "data": data}, outputs={**r.outputs, "data": data})

    messages = rule_32_messages(dataclasses.replace(recorded, resources=[strip(r) for r in recorded.resources]))
    assert messages == ["no alert fires on an ingestion gap (absent_over_time, conditionAbsent or missing-data alarm)"]
