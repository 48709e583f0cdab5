"""The Fluentd tier's mesh access-log filters, generated from components/mesh.py's rules (core plugins only): for a
proxy container's record (by the tag Fluent Bit's tail input gives it) that arrives without `status` (a collector that
forwarded the line unparsed), decode the line into a working hash (`parser` filters: `json`, and `regexp` for the
text formats, Ruby's Onigmo regexps), then copy, extract, scale and convert each rule's field as mesh.apply_rules
does (one `record_transformer` Ruby expression), and merge only the fields found. A record the collector already
parsed, and every other container's, passes untouched; the working keys never leave the tier."""

from __future__ import annotations

import json
from collections.abc import Sequence

from components.aggregation.fluentd_config import block
from components.mesh import EMPTY_VALUES, NUMERIC_FIELDS, AccessLogFormat, FieldRule, formats_by_container, onigmo, rule_sets

LINE = "_logmesh_line"  # the raw line, set only when the record has no `status`
FIELDS = "_logmesh_fields"  # the canonical fields found, as JSON
JSON_DECODED = "_logmesh_json"
_CAST = {int: ".to_i", float: ".to_f"}


def proxy_tag(container: str) -> str:
    # Fluent Bit's tail tags (fluent_bit_config: Tag kube.*) are kube.var.log.containers.<pod>_<ns>_<container>-<id>.log
    return f"kube.**_{container}-*.log"


def _decoded(fmt: AccessLogFormat) -> str:
    """The record key a format's parser leaves its decoded line under (JSON formats share one)."""
    return JSON_DECODED if fmt.encoding == "json" else f"_logmesh_{fmt.name.replace('-', '_')}"


def _regexp(pattern: str) -> str:
    # A space before `#` would start a comment in Fluentd's configuration.
    if "#" in pattern:
        raise ValueError(f"a Fluentd regexp cannot hold '#': {pattern}")
    return "/" + pattern.replace("/", "\\/") + "/"


def _parser(tags: str, key: str, parse: Sequence[tuple[str, object]], extra: Sequence[tuple[str, object]]) -> str:
    entries: list[tuple[str, object] | str] = [
        ("@type", "parser"),
        ("key_name", key),
        *extra,
        ("reserve_data", "true"),
        ("reserve_time", "true"),
        ("emit_invalid_record_to_error", "false"),
        block("parse", parse, 2),
    ]
    return block(f"filter {tags}", entries)


def _transformer(tags: str, key: str, expression: str, remove: list[str] | None = None) -> str:
    entries: list[tuple[str, object] | str] = [("@type", "record_transformer"), ("enable_ruby", "true")]
    if remove:
        entries.append(("remove_keys", ",".join(remove)))
    # One `${...}` holding the whole value: Fluentd evaluates it as Ruby and keeps its type.
    entries.append(block("record", [(key, "${" + expression + "}")], 2))
    return block(f"filter {tags}", entries)


def _rule(rule: FieldRule) -> str:
    value = f'm["{rule.field}"]' if rule.pattern is not None else "v.to_s"
    # A scaled number is a float (mesh.apply_rules: float(value) * scale).
    cast = float if rule.scale is not None else NUMERIC_FIELDS.get(rule.field)
    if cast is not None:
        value += _CAST[cast]
    if rule.scale is not None:
        value += f" * {rule.scale!r}"
    statement = f'f["{rule.field}"] = {value} if (v = g.(d, "{rule.source}"))'
    if rule.pattern is not None:
        statement += f" && (m = {_regexp(onigmo(rule.pattern, {'value': rule.field}))}.match(v.to_s))"
    return statement


def _rules(formats: list[AccessLogFormat]) -> str:
    """The Ruby expression: the first marker found in a decoded hash picks its rules; the fields found, as JSON."""
    present = f"g = ->(d, k) {{ v = d[k]; v unless v.nil? || {json.dumps(list(EMPTY_VALUES))}.include?(v.to_s.strip) }}"
    parts = ["f = {}", present]
    for i, fmt in enumerate(rule_sets(formats)):
        hashes = ", ".join(f'record["{h}"]' for h in dict.fromkeys(_decoded(f) for f in formats if f.marker == fmt.marker))
        found = f'(d = [{hashes}].find {{ |h| h.is_a?(Hash) && h.key?("{fmt.marker}") }})'
        parts.append(f"{'elsif' if i else 'if'} {found}; " + "; ".join(_rule(r) for r in fmt.rules))
    return "; ".join([*parts, "end", "f.to_json"])


def fluentd_mesh_filters() -> str:
    """The `<filter>` sections, before the output's `<match kube.**>`: gate, decoders, rules per container, merge."""
    by_container = formats_by_container()
    every = " ".join(proxy_tag(c) for c in by_container)
    sections = [_transformer(every, LINE, 'record["status"].nil? ? record["log"] : nil')]
    if json_tags := " ".join(proxy_tag(c) for c, fs in by_container.items() if any(f.encoding == "json" for f in fs)):
        sections.append(_parser(json_tags, LINE, [("@type", "json"), ("keep_time_key", "true")], [("hash_value_field", JSON_DECODED)]))
    for container, formats in by_container.items():
        for fmt in formats:
            if fmt.regex is not None:
                parse = [("@type", "regexp"), ("expression", _regexp(onigmo(fmt.regex))), ("keep_time_key", "true")]
                sections.append(_parser(proxy_tag(container), LINE, parse, [("hash_value_field", _decoded(fmt))]))
    for container, formats in by_container.items():
        working = [LINE, *dict.fromkeys(_decoded(f) for f in formats)]
        sections.append(_transformer(proxy_tag(container), FIELDS, _rules(formats), working))
    sections.append(_parser(every, FIELDS, [("@type", "json")], [("remove_key_name_field", "true")]))
    return "# Mesh access logs, generated from components/mesh.py (components/aggregation/fluentd_mesh.py).\n" + "\n".join(sections) + "\n"
