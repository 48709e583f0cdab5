"""The `pulumi preview --policy-pack policies` path: the pack renders each Helm Release from its inputs with
preflight's engine and chart cache (policies/lib/rendered.py) and judges every rendered object with every policy,
reported on the Release and naming the object; a Release it cannot render is reported, never passed silently.
Run through pulumi_policy's own analyzer with the Releases alone, as the CLI sends them."""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from policies.lib.rendered import RENDERED_BY_PREFLIGHT_ENV
from preflight.analyze.config import resolve_config
from preflight.analyze.findings import Analysis
from preflight.analyze.pack import PolicyPackSpec
from preflight.analyze.servicer import Analyzer
from preflight.record.charts import render_releases
from preflight.record.program import record_program
from preflight.record.recording import Recording
from tests.policies.conftest import PROGRAMS, UNKNOWN_IN_PREVIEW

CHARTS = Path(__file__).resolve().parent / "charts"
FLAWED = "urn:pulumi:test::policytest::kubernetes:helm.sh/v3:Release::flawed"
SOUND = "urn:pulumi:test::policytest::kubernetes:helm.sh/v3:Release::sound"
CHILD = "urn:pulumi:test::policytest::kubernetes:helm.sh/v3:Release$"  # a rendered object's URN, as preflight names it


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("pack-chart-cache")
    shutil.copytree(CHARTS / "operator", folder / "operator-0.1.0")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREFLIGHT_CHART_CACHE", str(folder))
        patch.delenv(RENDERED_BY_PREFLIGHT_ENV, raising=False)  # the CLI's path: nothing rendered by preflight
        yield folder


@functools.cache
def recording(name: str) -> Recording:
    """The program as the CLI sends it to the pack: Releases alone, nothing rendered by preflight (recorded once per
    program; treat as read-only)."""
    return record_program(PROGRAMS / name, "policytest", "test", {})


@pytest.fixture(scope="module")
def preview(pack: PolicyPackSpec, cache: Path) -> Analysis:
    """The pack on the Releases alone, as `pulumi preview --policy-pack` sends them."""
    return Analyzer(pack, resolve_config(pack, {})).analyze(recording("release_renders"))


def test_the_release_only_is_recorded() -> None:
    assert {r.type for r in recording("release_renders").resources} >= {"kubernetes:helm.sh/v3:Release"}
    assert not [r for r in recording("release_renders").resources if r.parent in (FLAWED, SOUND)]


def test_rendered_objects_violations_are_reported_on_their_release(preview: Analysis) -> None:
    found = {(v.policy, v.urn, v.message) for v in preview.violations if v.enforcement == "mandatory" and v.urn in (FLAWED, SOUND)}
    assert found == {
        (
            "no-plaintext-credentials",
            FLAWED,
            "rendered Deployment operators/flawed: pod spec: container manager sets API_TOKEN as a literal env value",
        ),
        ("rbac-least-privilege", FLAWED, "rendered ClusterRole flawed: rule 1 grants bind, escalate"),
        # Rendered after the operator's role, for which collector-rbac-read-only is not applicable: still judged.
        ("collector-rbac-read-only", FLAWED, "rendered ClusterRole flawed-fluent-bit: rule 0 grants access to secrets"),
    }


def test_stack_policies_judge_rendered_objects_too(preview: Analysis) -> None:
    """logging-pods-hardened (a stack policy) sees the rendered Deployments beside the collector in `operators`."""
    hardened = {(v.urn, v.message) for v in preview.violations if v.policy == "logging-pods-hardened" and v.urn in (FLAWED, SOUND)}
    assert (SOUND, "rendered Deployment operators/sound: spec.template.spec: container manager does not drop ALL capabilities") in hardened
    assert {urn for urn, _ in hardened} == {FLAWED, SOUND}


def test_a_secret_name_in_env_is_a_reference_not_a_credential(preview: Analysis) -> None:
    """WEBHOOK_SECRET holds the name of the Secret the pod mounts (as the ECK operator's does): not flagged."""
    assert not [v for v in preview.violations if "WEBHOOK_SECRET" in v.message]


def test_the_pack_says_when_it_cannot_render(pack: PolicyPackSpec, tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREFLIGHT_CHART_CACHE", str(tmp_path / "missing"))
        patch.delenv(RENDERED_BY_PREFLIGHT_ENV, raising=False)
        analysis = Analyzer(pack, resolve_config(pack, {})).analyze(recording("release_renders"))
    unrendered = {(v.urn, v.enforcement) for v in analysis.violations if v.policy == "helm-releases-rendered"}
    assert unrendered == {(FLAWED, "advisory"), (SOUND, "advisory")}
    message = next(v.message for v in analysis.violations if v.policy == "helm-releases-rendered")
    assert message.startswith("not rendered, so none of the objects it would apply were judged: no chart cache at ")
    assert not [v for v in analysis.violations if v.message.startswith("rendered ")]


def test_under_preflight_the_objects_are_judged_once(pack: PolicyPackSpec, cache: Path) -> None:
    """preflight registers the rendered objects itself: the pack does not render them again, and says nothing
    about rendering (preflight's verdict does)."""
    recorded = recording("release_renders")
    rec = replace(recorded, resources=list(recorded.resources))
    render_releases(rec, cache)
    analysis = Analyzer(pack, resolve_config(pack, {})).analyze(rec)
    mandatory = {(v.policy, v.urn) for v in analysis.violations if v.enforcement == "mandatory" and v.urn.startswith(CHILD)}
    assert mandatory == {
        ("no-plaintext-credentials", f"{CHILD}kubernetes:apps/v1:Deployment::flawed:operators/flawed"),
        ("rbac-least-privilege", f"{CHILD}kubernetes:rbac.authorization.k8s.io/v1:ClusterRole::flawed:flawed"),
        ("collector-rbac-read-only", f"{CHILD}kubernetes:rbac.authorization.k8s.io/v1:ClusterRole::flawed:flawed-fluent-bit"),
    }
    assert not [v for v in analysis.violations if v.policy == "helm-releases-rendered"]
    assert RENDERED_BY_PREFLIGHT_ENV not in os.environ  # set for the run only


def test_inputs_a_first_preview_cannot_know_are_advisory_not_a_violation(pack: PolicyPackSpec) -> None:
    """A new stack's first preview: the Release's namespace is a computed output. Even with helm-releases-rendered
    mandatory (as logmesh's configs set it) that is the analyzer's advisory, so the first `pulumi up` is not blocked."""
    recorded = record_program(PROGRAMS / "k8s_preview_join", "policytest", "test", {}, preview=True)
    config = resolve_config(pack, {"helm-releases-rendered": {"enforcementLevel": "mandatory"}})
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(RENDERED_BY_PREFLIGHT_ENV, raising=False)
        analysis = Analyzer(pack, config).analyze(recorded)
    found = [v for v in analysis.violations if v.policy == "helm-releases-rendered"]
    assert found and {(v.enforcement, UNKNOWN_IN_PREVIEW in v.message) for v in found} == {("advisory", True)}
