"""The Fluentd tier's mesh access-log filters, read back from the rendered configuration text and run on the real
Istio and Linkerd lines of tests/fixtures as Fluentd applies them: the tag patterns as Fluentd's glob matcher reads
them, the `parser` filters' `json` and `regexp` parsers (their expressions through Onigmo, which Fluentd's Ruby
regexps are, via onigurumacffi), and the `record_transformer` Ruby steps (their extracting regexps through Onigmo)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from components.aggregation.fluentd_mesh import fluentd_mesh_filters
from components.mesh import CANONICAL_FIELDS
from tests.components.collectors.test_fluent_bit_config import onigmo_groups
from tests.helpers.mesh_fixtures import LINES, NOT_ACCESS_LOGS, container_of, same


def tag_of(container: str) -> str:
    """The tag Fluent Bit's tail input (`Tag kube.*`) gives a container's lines, which its forward output keeps."""
    return f"kube.var.log.containers.web-7d8f9c-x2x.v1_shop_{container}-{'0' * 64}.log"


def glob(pattern: str) -> re.Pattern[str]:
    """Fluentd's GlobMatchPattern (lib/fluent/match.rb) for `*`, `**` and `.`."""
    out, i, dot = "", 0, False
    while i < len(pattern):
        if pattern[i : i + 2] == "**":
            out += r"(?![^\.])" if dot else ""
            dot = False
            out, i = (out + r"(?:.*\.|\A)", i + 3) if pattern[i + 2 : i + 3] == "." else (out + ".*", i + 2)
            continue
        if dot:
            out, dot = out + r"\.", False
        c = pattern[i]
        if c == ".":
            dot = True
        else:
            out += r"[^\.]*" if c == "*" else (c if re.match(r"\w", c) else "\\" + c)
        i += 1
    return re.compile(r"\A" + out + r"\Z")


def filters(text: str) -> list[dict[str, Any]]:
    """Each `<filter patterns>` section: its patterns, its `key value` lines, and its nested sections' lines."""
    found = []
    for patterns, body in re.findall(r"^<filter ([^>]+)>\n(.*?)^</filter>", text, re.M | re.S):
        nested = {name: dict(re.findall(r"^\s+(\S+) (.+)$", inner, re.M)) for name, inner in re.findall(r"<(\w+)>\n(.*?)</\1>", body, re.S)}
        outer = re.sub(r"<(\w+)>\n.*?</\1>\n", "", body, flags=re.S)
        found.append({"patterns": patterns.split(), **dict(re.findall(r"^\s+(\S+) (.+)$", outer, re.M)), **nested})
    return found


def ruby(expression: str, record: dict[str, Any]) -> Any:
    """The two Ruby expressions the filters use: the status gate, and the rules that build the canonical fields."""
    if gate := re.fullmatch(r'\$\{record\["(\w+)"\]\.nil\? \? record\["(\w+)"\] : nil\}', expression):
        return record.get(gate.group(2)) if record.get(gate.group(1)) is None else None
    empty = json.loads(re.search(r"\|\| (\[[^\]]*\])\.include\?\(v\.to_s\.strip\)", expression).group(1))  # type: ignore[union-attr]
    fields: dict[str, Any] = {}
    branches = re.findall(
        r'(?:if|elsif) \(d = \[(.+?)\]\.find \{ \|h\| h\.is_a\?\(Hash\) && h\.key\?\("([^"]+)"\) \}\); (.*?)(?=; elsif |; end;)', expression
    )
    assert branches, expression
    for hashes, marker, statements in branches:
        decoded = next(
            (h for h in (record.get(k) for k in re.findall(r'record\["(\w+)"\]', hashes)) if isinstance(h, dict) and marker in h), None
        )
        if decoded is None:
            continue
        for statement in statements.split("; "):
            step = re.fullmatch(r'f\["(\w+)"\] = (.+) if \(v = g\.\(d, "([^"]+)"\)\)(?: && \(m = /(.+)/\.match\(v\.to_s\)\))?', statement)
            assert step, statement
            field, value_expr, source, pattern = step.groups()
            value = decoded.get(source)
            if value is None or str(value).strip() in empty:
                continue
            groups = onigmo_groups(pattern, str(value)) if pattern else None
            if pattern and groups is None:
                continue
            form = re.fullmatch(r'(v\.to_s|m\["(\w+)"\])(\.to_[if])?(?: \* (\S+))?', value_expr)
            assert form, value_expr
            result: Any = (groups or {}).get(form.group(2) or "") if form.group(2) else str(value)
            result = int(result) if form.group(3) == ".to_i" else float(result) if form.group(3) == ".to_f" else result
            fields[field] = result * float(form.group(4)) if form.group(4) else result
        break
    return json.dumps(fields)


def parse(kind: dict[str, str], raw: Any) -> dict[str, Any] | None:
    if kind["@type"] == "json":
        try:
            decoded = json.loads(raw)
        except ValueError:
            return None
        return decoded if isinstance(decoded, dict) else None
    expression = kind["expression"]
    assert expression.startswith("/") and expression.endswith("/"), expression
    return onigmo_groups(expression[1:-1], raw)


def run_fluentd(record: dict[str, Any], tag: str) -> dict[str, Any]:
    """The record after every filter of the rendered text whose patterns match `tag`, in order."""
    record = copy.deepcopy(record)
    for flt in filters(fluentd_mesh_filters()):
        if not any(glob(p).match(tag) for p in flt["patterns"]):
            continue
        if flt["@type"] == "record_transformer":
            assert flt["enable_ruby"] == "true"
            added = {key: ruby(value, record) for key, value in flt["record"].items()}
            record = {k: v for k, v in {**record, **added}.items() if k not in flt.get("remove_keys", "").split(",")}
            continue
        assert flt["@type"] == "parser" and flt["reserve_data"] == "true" and flt["reserve_time"] == "true"
        assert flt["emit_invalid_record_to_error"] == "false"
        raw = record.get(flt["key_name"])
        values = None if raw is None else parse(flt["parse"], raw)
        if values is not None and flt.get("remove_key_name_field") == "true":
            del record[flt["key_name"]]
        hashed = flt.get("hash_value_field")
        record = {**record, **({hashed: values or {}} if hashed else values or {})}
    return record


def proxy_record(line: str, container: str) -> dict[str, Any]:
    return {"log": line, "kubernetes": {"container_name": container, "namespace_name": "shop"}, "labels": {"cluster": "c"}}


@pytest.mark.parametrize("fixture", LINES, ids=[f["name"] for f in LINES])
def test_the_fluentd_filters_parse_every_field(fixture: dict[str, Any]) -> None:
    container = container_of(fixture)
    original = proxy_record(fixture["line"], container)
    result = run_fluentd(original, tag_of(container))
    same({k: result[k] for k in CANONICAL_FIELDS if k in result}, fixture["expected"])
    # Only the canonical fields are added: the decoded line and the working keys are gone.
    assert {k: v for k, v in result.items() if k not in CANONICAL_FIELDS} == original


@pytest.mark.parametrize("line", NOT_ACCESS_LOGS)
def test_other_proxy_lines_pass_untouched(line: str) -> None:
    for container in ("istio-proxy", "linkerd-proxy"):
        assert run_fluentd(proxy_record(line, container), tag_of(container)) == proxy_record(line, container)


def test_records_the_collector_parsed_and_other_containers_pass_untouched() -> None:
    line = next(f["line"] for f in LINES if f["format"] == "envoy-json")
    parsed = {**proxy_record(line, "istio-proxy"), "status": 200}
    assert run_fluentd(parsed, tag_of("istio-proxy")) == parsed
    app = proxy_record(line, "web")
    assert run_fluentd(app, tag_of("web")) == app
    assert not any(glob(p).match(tag_of("web")) for f in filters(fluentd_mesh_filters()) for p in f["patterns"])
