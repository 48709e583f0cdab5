"""The example stacks rendered with the real upstream charts, when a chart cache is present (`make charts`).

Every release of prod (with Loki, and switched to ELK) renders; every rendered object is valid Kubernetes 1.33
(kubernetes-validate, strict); every flow the platform needs is allowed by the NetworkPolicies with the rendered
pods' own labels, and nothing else reaches the backends. Skipped without a cache: the suite never downloads.
"""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest

from components import pins
from preflight.analyze.config import load_policy_config, resolve_config
from preflight.analyze.pack import load_policy_pack
from preflight.analyze.servicer import Analyzer
from preflight.record.chart_cache import CACHE_FOLDER
from preflight.record.charts import archive_name, render_releases
from preflight.record.recording import Recording
from preflight.report.charts import matrix_markdown
from preflight.report.network_needs import matrix
from tests.helpers.harness import ROOT, elk_recording, example_recording
from tests.helpers.support import needs_chart_cache

CACHE = ROOT / CACHE_FOLDER
CHARTS = [c for c in vars(pins).values() if isinstance(c, pins.Chart)]
pytestmark = needs_chart_cache(
    all((CACHE / archive_name(c.name, c.version)).is_file() for c in CHARTS), f"no complete chart cache in {CACHE}: run `make charts`"
)


def rendered(backend: str) -> Recording:
    recording = copy.deepcopy(example_recording("prod") if backend == "loki" else elk_recording("prod"))
    outcome = render_releases(recording, CACHE)
    assert outcome.not_rendered == []
    return recording


@pytest.mark.parametrize("backend", ["loki", "elk"])
def test_prod_renders_valid_objects_and_its_network_paths_hold(backend: str) -> None:
    recording = rendered(backend)
    releases = {r.urn for r in recording.of_type("kubernetes:helm.sh/v3:Release")}
    objects = [r for r in recording.resources if r.parent in releases]
    assert recording.charts is not None and set(recording.charts.rendered) == releases
    invalid = []
    for r in objects:
        try:
            kubernetes_validate.validate(r.inputs, "1.33", strict=True)
        except kubernetes_validate.ValidationError as exc:
            invalid.append((r.name, str(exc)[:200]))
    assert invalid == []
    verdicts, unexpected = matrix(recording)
    assert verdicts and all(v.allowed for v in verdicts)
    assert unexpected == []
    if backend == "elk":
        assert {v.flow.what for v in verdicts} >= {"ECK operator to Elasticsearch", "ECK operator to Kibana"}
        table = matrix_markdown(recording)
        assert any(
            "| ECK operator to Kibana | elastic-system/elastic-operator | logging/logmesh-kb | 5601/TCP | allowed |" in row for row in table
        )


@pytest.mark.parametrize("backend", ["loki", "elk"])
def test_the_pack_judges_the_rendered_objects_of_prod(backend: str) -> None:
    """With the real charts prod has no mandatory violation, also on what the charts render (before the RBAC split
    and the Secret-name reference, ELK had 8: the eck-operator's ClusterRoles and WEBHOOK_SECRET)."""
    recording = rendered(backend)
    pack = load_policy_pack(ROOT / "policies")
    analysis = Analyzer(pack, resolve_config(pack, load_policy_config(ROOT / "policies" / "config" / "prod.json"))).analyze(recording)
    assert [(v.policy, v.urn, v.message) for v in analysis.mandatory] == []
    releases = {r.urn for r in recording.of_type("kubernetes:helm.sh/v3:Release")}
    objects = {r.urn for r in recording.resources if r.parent in releases}
    assert {v.policy for v in analysis.violations if v.urn in objects} >= {"logging-pods-hardened"}
