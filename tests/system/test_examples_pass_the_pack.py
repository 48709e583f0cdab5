"""Every example stack, with either backend, has zero mandatory violations of the SOC 2 pack under its own
environment's policy config (policies/config/<env>.json), exactly as `make preflight STACK=<env>` checks it."""

from __future__ import annotations

import pytest

from preflight.analyze.config import load_policy_config, resolve_config
from preflight.analyze.findings import Analysis
from preflight.analyze.pack import load_policy_pack
from preflight.analyze.servicer import Analyzer
from preflight.record.recording import Recording
from tests.helpers.harness import ROOT, STACKS, elk_recording

PACK = load_policy_pack(ROOT / "policies")


def analyze(recording: Recording) -> Analysis:
    config = load_policy_config(ROOT / "policies" / "config" / f"{recording.stack}.json")
    return Analyzer(PACK, resolve_config(PACK, config)).analyze(recording)


def mandatory(recording: Recording) -> list[str]:
    return [f"{v.policy}: {v.urn}: {v.message}" for v in analyze(recording).mandatory]


def test_example_stack_with_loki(example: Recording) -> None:
    assert mandatory(example) == []


@pytest.mark.parametrize("stack", STACKS)
def test_example_stack_with_elk(stack: str) -> None:
    """`logmesh:backend: elk`; Alloy ships only to Loki, so those clusters run Filebeat (an ECK Beat) instead."""
    recording = elk_recording(stack)
    assert recording.of_type("kubernetes:beat.k8s.elastic.co/v1beta1:Beat") or stack == "dev"
    assert mandatory(recording) == []


def test_the_check_can_fail(example: Recording) -> None:
    """The same analysis finds a removed guard: drop one store bucket's policy (its TLS-only statement). (Dropping a
    public access block is no longer a flaw: AWS blocks public access on a bucket by default.)"""
    policies = example.of_type("aws:s3/bucketPolicy:BucketPolicy")
    assert policies
    broken = Recording(example.project, example.stack, example.mode, [r for r in example.resources if r is not policies[0]])
    assert any(line.startswith("s3-secure-transport-only:") for line in mandatory(broken))


@pytest.mark.parametrize("backend", ["loki", "elk"])
def test_every_helm_release_is_pinned_and_rolls_back_a_failed_change(example: Recording, backend: str) -> None:
    recording = example if backend == "loki" else elk_recording(example.stack)
    releases = recording.of_type("kubernetes:helm.sh/v3:Release")
    charts = {r.inputs["chart"] for r in releases}
    assert charts >= ({"loki", "grafana", "fluent-bit"} if backend == "loki" else {"eck-operator", "fluent-bit"})
    for release in releases:
        inputs = release.inputs
        assert inputs["version"] and inputs["repositoryOpts"]["repo"].startswith("https://"), release.name
        assert (inputs["atomic"], inputs["cleanupOnFail"], inputs["createNamespace"]) == (True, True, False), release.name


def test_prod_records_an_approved_expiring_exception_for_each_root_collector() -> None:
    """Prod's collectors run as root with no capabilities (reading root-owned log files needs root): each is an
    approved risk with a named resource, approver, reason and an expiry within a year, not an advisory finding."""
    import datetime
    import json

    from tests.helpers.harness import example_recording

    recording = example_recording("prod")
    analysis = analyze(recording)
    findings, excepted = analysis.split()
    assert [f.urn for f in findings if f.policy == "collector-runs-as-non-root"] == []
    collectors = {r.urn for r in recording.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] in ("fluent-bit", "alloy")}
    assert len(collectors) == 4
    assert {e.urn for e in excepted} == collectors
    entries = json.loads((ROOT / "policies" / "config" / "prod.json").read_text())["collector-runs-as-non-root"]["exceptions"]
    assert {e["resource"] for e in entries} == collectors
    for entry in entries:
        assert entry["approved_by"].strip() and entry["reason"].strip()
        assert datetime.date.fromisoformat(entry["expires"]) <= datetime.date(2027, 11, 30)
