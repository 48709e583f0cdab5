"""The mesh access-log rules (components/mesh.py) as Alloy stages: RE2 for stage.regex, JMESPath for stage.json."""

from __future__ import annotations

import json
import re

import re2

from components.collectors.alloy_config import alloy_mesh_stages
from tests.helpers.mesh_fixtures import LINES


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
