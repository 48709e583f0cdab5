"""Real mesh access-log lines (tests/fixtures) with the canonical fields each must parse to, and lines that are not
access logs; shared by the tests of the Python rules and of each collector's rendered parsers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import mesh
from tests.helpers.harness import ROOT

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
