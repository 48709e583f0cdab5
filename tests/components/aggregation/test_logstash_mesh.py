"""The Logstash tier's mesh access-log filter, read back from the rendered pipeline text and run on the real Istio and
Linkerd lines of tests/fixtures: its grok patterns through Oniguruma (onigurumacffi; Logstash's grok runs Joni, the
JVM port of Oniguruma), its copy, scale and convert steps as Logstash applies them."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from components.aggregation.logstash_config import logstash_pipeline
from components.mesh import EMPTY_VALUES
from tests.components.collectors.test_fluent_bit_config import onigmo_groups
from tests.helpers.mesh_fixtures import LINES, NOT_ACCESS_LOGS, container_of, same

SOURCE = r"\[@metadata\]\[mesh\]\[([^\]]+)\]"


def branch(container: str) -> str:
    """The filter branch of one proxy container, from the rendered pipeline."""
    text = logstash_pipeline("https://elasticsearch:9200")
    start = text.index(f'if [kubernetes][container_name] == "{container}" and ![status] {{')
    end = text.find("\n  if [kubernetes][container_name]", start + 1)
    return text[start : end if end > 0 else None]


def run_logstash(line: str, container: str) -> dict[str, Any]:
    """What the branch makes of a record whose `log` is `line`: the canonical fields it sets."""
    rules = branch(container)
    decoded: dict[str, Any] = {}
    if re.match(r"^\s*\{", line) and 'json { source => "log"' in rules:
        decoded = json.loads(line)
    else:
        for pattern in re.findall(r"match => \{ \"log\" => '(.+?)' \}", rules):
            if (groups := onigmo_groups(pattern, line)) is not None:
                decoded = groups
                break
    marker = next((m for m in re.findall(rf"^    if {SOURCE} \{{$", rules, re.M) if m in decoded), None)
    if marker is None:
        return {}
    event: dict[str, Any] = {}
    for step in rules.split(f"[{marker}] {{\n", 1)[1].splitlines():
        source = re.match(rf"\s*if {SOURCE} and", step)
        value = decoded.get(source.group(1)) if source else None
        if source and (value is None or str(value) in EMPTY_VALUES):
            continue
        if copy := re.search(rf'copy => {{ "{SOURCE}" => "(\w+)" }}', step):
            event[copy.group(2)] = value
        elif grok := re.search(r"grok \{ match => \{ \"[^\"]+\" => '(.+?)' \}", step):
            event.update(onigmo_groups(grok.group(1), str(value)) or {})
        elif ruby := re.search(r"event\.set\('(\w+)', event\.get\('[^']+'\)\.to_f \* ([0-9.e+-]+)\)", step):
            event[ruby.group(1)] = float(str(value)) * float(ruby.group(2))
        elif convert := re.search(r"convert => \{ (.+) \}", step):
            for field, kind in re.findall(r'"(\w+)" => "(\w+)"', convert.group(1)):
                if field in event:
                    event[field] = int(event[field]) if kind == "integer" else float(event[field])
    return event


@pytest.mark.parametrize("fixture", LINES, ids=[f["name"] for f in LINES])
def test_the_logstash_filter_parses_every_field(fixture: dict[str, Any]) -> None:
    same(run_logstash(fixture["line"], container_of(fixture)), fixture["expected"])


@pytest.mark.parametrize("line", NOT_ACCESS_LOGS)
def test_other_proxy_lines_get_no_canonical_fields(line: str) -> None:
    assert run_logstash(line, "istio-proxy") == {} and run_logstash(line, "linkerd-proxy") == {}


def test_a_record_the_collector_already_parsed_is_left_alone() -> None:
    assert logstash_pipeline("https://elasticsearch:9200").count("and ![status] {") == 2
