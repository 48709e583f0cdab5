"""The mesh access-log rules (components/mesh.py) in Fluent Bit's own engines: Onigmo for its regex parsers and Lua
for its normalising filter, on real log lines."""

from __future__ import annotations

import json
import re
from typing import Any

import onigurumacffi
import pytest
from lupa import LuaRuntime

from components import mesh
from components.collectors import fluent_bit_config
from components.config.loading import parse_config
from tests.helpers.harness import stack_config
from tests.helpers.mesh_fixtures import LINES, NOT_ACCESS_LOGS, container_of, same


def onigmo_groups(pattern: str, text: str) -> dict[str, str] | None:
    """What a Fluent Bit regex parser adds to a record: named groups, in order, that matched."""
    names = list(re.compile(pattern.replace("(?<", "(?P<")).groupindex)
    match = onigurumacffi.compile(pattern).search(text)
    if match is None:
        return None
    return {name: match.group(i + 1) for i, name in enumerate(names) if match.group(i + 1) != ""}


def fluent_bit_parsers() -> dict[str, str]:
    parsers: dict[str, str] = {}
    for block in fluent_bit_config.fluent_bit_parsers().split("[PARSER]")[1:]:
        keys = dict(line.strip().split(None, 1) for line in block.strip().splitlines())
        parsers[keys["Name"]] = keys.get("Regex", "")
    return parsers


def fluent_bit_filters(container: str) -> list[dict[str, Any]]:
    """The parser filters of the rendered configuration that apply to a proxy container's records."""
    filters = []
    for block in fluent_bit_config.fluent_bit_filters(mesh_platform(), mesh_cluster(), "loki").split("[FILTER]")[1:]:
        lines = [line.strip().split(None, 1) for line in block.strip().splitlines()]
        if dict(lines)["Name"] == "parser" and container in dict(lines)["Match"]:
            filters.append({"key": dict(lines)["Key_Name"], "parsers": [v for k, v in lines if k == "Parser"]})
    return filters


def mesh_platform() -> Any:
    raw = {k.split(":", 1)[1]: v for k, v in stack_config("dev").items()}
    return parse_config({k: v for k, v in raw.items() if k in ("environment", "org", "backend", "retention", "stores", "clusters")})


def mesh_cluster() -> Any:
    return mesh_platform().clusters[0]


def run_fluent_bit(line: str, container: str) -> dict[str, Any]:
    """The record after the rendered parser filters (in Onigmo) and the rendered Lua filter (in Lua)."""
    parsers = fluent_bit_parsers()
    record: dict[str, Any] = {"log": line}
    for flt in fluent_bit_filters(container):
        if flt["key"] not in record:
            continue
        for name in flt["parsers"]:
            if parsers[name] == "":  # the JSON parser
                try:
                    decoded = json.loads(str(record[flt["key"]]))
                except json.JSONDecodeError:
                    continue
                record.update({k: v for k, v in decoded.items() if v is not None})
                break
            groups = onigmo_groups(parsers[name], str(record[flt["key"]]))
            if groups is not None:
                record.update(groups)
                break
    lua = LuaRuntime(unpack_returned_tuples=True)
    lua.execute(fluent_bit_config.fluent_bit_lua())
    table = lua.table_from(record)
    code, _, result = lua.globals().normalize_access_log("kube.test", 0, table)
    assert code == 2
    return {k: result[k] for k in mesh.CANONICAL_FIELDS if result[k] is not None}


@pytest.mark.parametrize("fixture", LINES, ids=[f["name"] for f in LINES])
def test_fluent_bit_configuration_parses_every_field(fixture: dict[str, Any]) -> None:
    same(run_fluent_bit(fixture["line"], container_of(fixture)), fixture["expected"])


def test_fluent_bit_lua_leaves_other_records_alone() -> None:
    lua = LuaRuntime(unpack_returned_tuples=True)
    lua.execute(fluent_bit_config.fluent_bit_lua())
    code, _, _ = lua.globals().normalize_access_log("kube.test", 0, lua.table_from({"log": NOT_ACCESS_LOGS[0]}))
    assert code == 0
