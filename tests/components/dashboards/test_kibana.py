"""The Kibana saved objects are NDJSON in the shape Kibana's saved-objects import takes: one object a line with id,
type, attributes and references; every reference resolves to an object earlier in the file; the embedded JSON
strings parse; every dashboard panel names a reference."""

from __future__ import annotations

import json
from typing import Any

from components.dashboards.kibana import saved_objects_ndjson

NDJSON = saved_objects_ndjson("the trail")
REQUIRED = {
    "index-pattern": {"title", "timeFieldName"},
    "lens": {"title", "visualizationType", "state"},
    "search": {"title", "columns", "sort", "kibanaSavedObjectMeta"},
    "visualization": {"title", "visState", "uiStateJSON", "kibanaSavedObjectMeta"},
    "dashboard": {"title", "panelsJSON", "optionsJSON", "kibanaSavedObjectMeta"},
}


def objects() -> list[dict[str, Any]]:
    assert NDJSON.endswith("\n") and "\n\n" not in NDJSON
    return [json.loads(line) for line in NDJSON.splitlines()]


def test_every_object_has_the_import_shape_and_resolving_references() -> None:
    seen: set[tuple[str, str]] = set()
    for obj in objects():
        assert set(obj) == {"id", "type", "attributes", "references"}, obj.get("id")
        assert REQUIRED[obj["type"]] <= set(obj["attributes"]), obj["id"]
        for ref in obj["references"]:
            assert set(ref) == {"name", "type", "id"}
            assert (ref["type"], ref["id"]) in seen, (obj["id"], ref)
        assert (obj["type"], obj["id"]) not in seen
        seen.add((obj["type"], obj["id"]))
    assert {t for t, _ in seen} == set(REQUIRED)


def test_embedded_json_parses_and_panels_name_their_references() -> None:
    for obj in objects():
        attributes, names = obj["attributes"], {r["name"] for r in obj["references"]}
        if "kibanaSavedObjectMeta" in attributes:
            source = json.loads(attributes["kibanaSavedObjectMeta"]["searchSourceJSON"])
            assert source["query"]["language"] == "kuery"
            if "indexRefName" in source:
                assert source["indexRefName"] in names
        if obj["type"] == "dashboard":
            panels = json.loads(attributes["panelsJSON"])
            assert [p["panelRefName"] for p in panels] == sorted(names, key=lambda n: int(n.split("_")[1]))
            assert all(p["gridData"]["x"] + p["gridData"]["w"] <= 48 for p in panels)
        if obj["type"] == "lens":
            (layer,) = attributes["state"]["datasourceStates"]["formBased"]["layers"].items()
            assert f"indexpattern-datasource-layer-{layer[0]}" in names
            assert set(layer[1]["columnOrder"]) == set(layer[1]["columns"])
        if obj["type"] == "visualization":
            assert json.loads(attributes["visState"])["params"]["markdown"] == "the trail"


def test_the_dashboards_cover_ingestion_mesh_auth_and_soc2() -> None:
    boards = {o["id"]: o for o in objects() if o["type"] == "dashboard"}
    assert set(boards) == {"logmesh-ingestion", "logmesh-mesh", "logmesh-soc2"}
    soc2 = {r["id"] for r in boards["logmesh-soc2"]["references"]}
    assert {"logmesh-fired-alerts", "logmesh-audit-trail"} <= soc2
