"""The Grafana dashboards load with the dashboard model generated from Grafana's own schema (grafana-foundation-sdk),
every panel queries the store's Loki datasource, and every LogQL query in them parses."""

from __future__ import annotations

import json
from typing import Any

import pytest
from grafana_foundation_sdk.cog import plugins
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard

from components.dashboards.grafana import grafana_dashboards
from tests.helpers.logql import parse

DASHBOARDS = grafana_dashboards("loki-eu", "the trail")
# Grafana's template variables and interval macros, as Grafana substitutes them before the query reaches Loki.
MACROS = {"$__auto": "1m", "$__range": "24h", "$cluster": ".+"}


def kept(ours: Any, loaded: Any) -> bool:
    """Every key and value of ours survives the model's load and dump (the model adds its defaults)."""
    if isinstance(ours, dict):
        return isinstance(loaded, dict) and all(k in loaded and kept(v, loaded[k]) for k, v in ours.items())
    if isinstance(ours, list):
        return isinstance(loaded, list) and len(ours) == len(loaded) and all(map(kept, ours, loaded))
    return bool(ours == loaded)


@pytest.fixture(scope="module", autouse=True)
def panel_plugins() -> None:
    plugins.register_default_plugins()


@pytest.mark.parametrize("name", DASHBOARDS)
def test_every_dashboard_loads_in_grafanas_dashboard_model_without_loss(name: str) -> None:
    ours = json.loads(json.dumps(DASHBOARDS[name]))
    loaded = json.loads(json.dumps(Dashboard.from_json(ours), cls=JSONEncoder))
    assert kept(ours, loaded), name
    assert loaded["uid"] == name.removesuffix(".json") and loaded["schemaVersion"] >= 39


def test_panels_are_laid_out_without_overlap_and_query_the_store_datasource() -> None:
    for dashboard in DASHBOARDS.values():
        cells: set[tuple[int, int]] = set()
        ids = [p["id"] for p in dashboard["panels"]]
        assert len(ids) == len(set(ids))
        for panel in dashboard["panels"]:
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24
            area = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"]) for y in range(grid["y"], grid["y"] + grid["h"])}
            assert not area & cells, panel["title"]
            cells |= area
            for target in panel.get("targets", []):
                assert target["datasource"] == {"type": "loki", "uid": "loki-eu"}


def test_every_dashboard_query_parses() -> None:
    queries = [t["expr"] for d in DASHBOARDS.values() for p in d["panels"] for t in p.get("targets", [])]
    assert len(queries) >= 15
    for expr in queries:
        for macro, value in MACROS.items():
            expr = expr.replace(macro, value)
        parse(expr)


def test_the_dashboards_cover_ingestion_collectors_mesh_auth_and_soc2() -> None:
    titles = {p["title"] for d in DASHBOARDS.values() for p in d["panels"]}
    assert {"Lines per cluster", "Lines per tenant", "Collector retries and drops", "4xx and 5xx", "Latency (p50, p99)"} <= titles
    assert {
        "Authentication failures (401/403)",
        "Who read the store (queries per user)",
        "Who wrote to the store (pushes per user)",
    } <= titles
    text = next(p for p in DASHBOARDS["logmesh-soc2.json"]["panels"] if p["type"] == "text")
    assert text["options"]["content"] == "the trail"
