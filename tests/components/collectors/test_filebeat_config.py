"""The mesh access-log rules (components/mesh.py) in Filebeat's JavaScript processor (ES5, as Filebeat runs it),
on real log lines."""

from __future__ import annotations

from typing import Any

import dukpy
import pytest

from components import mesh
from components.collectors.filebeat_config import filebeat_script
from tests.helpers.mesh_fixtures import LINES, NOT_ACCESS_LOGS, container_of, same

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
    result: dict[str, Any] = dukpy.evaljs([filebeat_script(), HARNESS], line=line, container=container, names=list(mesh.CANONICAL_FIELDS))
    return result


@pytest.mark.parametrize("fixture", LINES, ids=[f["name"] for f in LINES])
def test_filebeat_script_parses_every_field(fixture: dict[str, Any]) -> None:
    same(run_filebeat(fixture["line"], container_of(fixture)), fixture["expected"])


@pytest.mark.parametrize("line", NOT_ACCESS_LOGS)
def test_filebeat_script_leaves_other_lines_alone(line: str) -> None:
    assert run_filebeat(line, "istio-proxy") == {}
