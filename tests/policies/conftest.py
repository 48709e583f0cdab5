"""Policy tests run the pack exactly as preflight and the Pulumi CLI do: each fixture program under
programs/<name>/ is recorded once with the real provider SDKs under mocks, then analyzed by
pulumi_policy's own servicer (Configure, Analyze per resource, AnalyzeStack)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from preflight.analyze.config import resolve_config
from preflight.analyze.findings import Analysis
from preflight.analyze.pack import PolicyPackSpec, load_policy_pack
from preflight.analyze.servicer import Analyzer
from preflight.record.charts import render_releases
from preflight.record.program import record_program
from preflight.record.recording import Recording

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = Path(__file__).resolve().parent / "programs"
NO_CHART_CACHE = PROGRAMS / "no-chart-cache"  # does not exist
UNKNOWN_IN_PREVIEW = "during preview"  # in the analyzer's advisory for a value preview cannot know

_recordings: dict[tuple[str, bool], Recording] = {}
_analyses: dict[tuple[str, bool], Analysis] = {}


def recording(name: str, preview: bool = False) -> Recording:
    """The fixture program `name`, recorded once per session (treat as read-only)."""
    key = (name, preview)
    if key not in _recordings:
        recorded = record_program(PROGRAMS / name, "policytest", "test", {}, preview=preview)
        # as preflight does, from no chart cache: the fixtures' upstream charts are not here, and preflight (not the
        # pack) reports them as not rendered; test_rendered_releases.py runs the pack's own rendering instead
        render_releases(recorded, NO_CHART_CACHE)
        _recordings[key] = recorded
    return _recordings[key]


@pytest.fixture(scope="session")
def pack() -> PolicyPackSpec:
    return load_policy_pack(ROOT / "policies")


@pytest.fixture(scope="session")
def analyze(pack: PolicyPackSpec) -> Callable[..., Analysis]:
    """analyze(program, config=None, preview=False): the pack's findings on a fixture program.
    Without config every policy has its default level (mandatory unless documented) and settings."""

    def run(name: str, config: Mapping[str, Any] | None = None, preview: bool = False) -> Analysis:
        if config is None and (name, preview) in _analyses:
            return _analyses[(name, preview)]
        analysis = Analyzer(pack, resolve_config(pack, config or {})).analyze(recording(name, preview))
        if config is None:
            _analyses[(name, preview)] = analysis
        return analysis

    return run


def flagged(analysis: Analysis, policy: str) -> set[str]:
    """Names of the resources a policy reported (the last URN segment)."""
    return {v.urn.rsplit("::", 1)[-1] for v in analysis.violations if v.policy == policy}
