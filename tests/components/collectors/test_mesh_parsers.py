"""The mesh access-log rules (components/mesh.py) on real log lines, in Python and in each collector's own engine:
Onigmo for Fluent Bit's regex parsers, Lua for its normalising filter, RE2 for Alloy's stage.regex, and
JavaScript (ES5, as Filebeat's script processor runs) for Filebeat."""

from __future__ import annotations

import json
import re
from typing import Any

import dukpy
import onigurumacffi
import pytest
import re2
from lupa import LuaRuntime

from components import mesh
from components.collectors import fluent_bit_config
from components.collectors.alloy_config import alloy_mesh_stages
from components.collectors.filebeat_config import filebeat_script
from components.config.loading import parse_config
from tests.harness import ROOT, stack_config

FIXTURES = ROOT / "tests" / "fixtures"
LINES: list[dict[str, Any]] = json.loads((FIXTURES / "mesh_access_logs.json").read_text())
NOT_ACCESS_LOGS = [line for line in (FIXTURES / "not_access_logs.txt").read_text().splitlines() if line]


def container_of(fixture: dict[str, Any]) -> str:
    return next(f.container for f in mesh.ACCESS_LOG_FORMATS if f.name == fixture["format"])


def same(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    assert set(actual) == set(expected)
    for key, value in expected.items():
        if isinstance(value, float):
            assert actual[key] == pytest.approx(value, rel=1e-9), key
        else:
            assert actual[key] == value, key


def test_fixtures_cover_every_format_and_field() -> None:
    assert {f["format"] for f in LINES} == {f.name for f in mesh.ACCESS_LOG_FORMATS}
    assert set().union(*(f["expected"] for f in LINES)) == set(mesh.CANONICAL_FIELDS)


@pytest.mark.parametrize("fixture", LINES, ids=[f["name"] for f in LINES])
def test_python_rules_parse_every_field(fixture: dict[str, Any]) -> None:
    decoded = mesh.decode(fixture["line"])
    assert decoded is not None
    assert decoded[0].name == fixture["format"]
    same(mesh.apply_rules(*decoded), fixture["expected"])


@pytest.mark.parametrize("line", NOT_ACCESS_LOGS)
def test_other_lines_are_not_access_logs(line: str) -> None:
    assert mesh.parse_access_log(line) is None


def test_trace_id_never_comes_from_a_malformed_traceparent() -> None:
    fmt = next(f for f in mesh.ACCESS_LOG_FORMATS if f.name == "envoy-json")
    assert "trace_id" not in mesh.apply_rules(fmt, {"response_code": 200, "traceparent": "00-zz-00f067aa0ba902b7-01"})


# --- Fluent Bit: Onigmo regex parsers, then the generated Lua -----------------------------------------------------


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


# --- Alloy: RE2 stage.regex --------------------------------------------------------------------------------------


def test_alloy_regexes_compile_in_re2_and_name_canonical_fields() -> None:
    config = alloy_mesh_stages()
    expressions = [json.loads(m) for m in re.findall(r'expression = ("(?:[^"\\]|\\.)*")', config)]
    assert len(expressions) == 3  # the Envoy text line, traceparent -> trace_id, Linkerd uri -> path
    for expression in expressions:
        re2.compile(expression)
    text = next(e for e in expressions if e.startswith(r"^\["))
    for fixture in (f for f in LINES if f["format"] == "envoy-text"):
        groups = {k: v for k, v in re2.match(text, fixture["line"]).groupdict().items() if v not in (None, "", "-")}
        for field in ("status", "method", "path", "duration_ms", "upstream", "request_id"):
            if field in fixture["expected"]:
                assert str(groups[field]) == str(fixture["expected"][field]).removesuffix(".0")


def test_alloy_json_expressions_cover_every_rule() -> None:
    config = alloy_mesh_stages()
    assert '"status" = "response_code"' in config
    assert '"source_identity" = "\\"client.id\\""' in config  # JMESPath quoted identifier
    assert "mulf .total_ns 1e-06" in config
    assert config.count("stage.match") == 2


# --- Filebeat: the JavaScript processor ----------------------------------------------------------------------------

HARNESS = """
var line = dukpy.line, container = dukpy.container, names = dukpy.names;
var fields = {message: line, 'kubernetes.container.name': container};
var event = {Get: function (k) { return fields[k]; }, Put: function (k, v) { fields[k] = v; }};
process(event);
var out = {};
for (var i = 0; i < names.length; i++) { if (fields[names[i]] !== undefined) out[names[i]] = fields[names[i]]; }
out;
"""


def run_filebeat(line: str, container: str) -> dict[str, Any]:
    result: dict[str, Any] = dukpy.evaljs(
        [filebeat_script(), HARNESS], line=line, container=container, names=list(mesh.CANONICAL_FIELDS)
    )
    return result


@pytest.mark.parametrize("fixture", LINES, ids=[f["name"] for f in LINES])
def test_filebeat_script_parses_every_field(fixture: dict[str, Any]) -> None:
    same(run_filebeat(fixture["line"], container_of(fixture)), fixture["expected"])


@pytest.mark.parametrize("line", NOT_ACCESS_LOGS)
def test_filebeat_script_leaves_other_lines_alone(line: str) -> None:
    assert run_filebeat(line, "istio-proxy") == {}
