"""Whole-program checks run without a developer's own `.charts/` unless a test asks for it."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def no_chart_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFLIGHT_CHART_CACHE", str(tmp_path_factory.getbasetemp() / "no-chart-cache"))
