"""The Logstash tier's mesh access-log filter, generated from components/mesh.py's rules: for a proxy container's
record that arrives without canonical fields (a collector that forwarded the line unparsed), decode the line (the
JSON formats with `json`, the text formats with `grok` in Logstash's Oniguruma flavour), then copy, extract, scale
and convert each rule's field as mesh.apply_rules does. A record the collector already parsed passes untouched."""

from __future__ import annotations

from components.mesh import EMPTY_VALUES, NUMERIC_FIELDS, AccessLogFormat, formats_by_container, onigmo, rule_sets

DECODED = "[@metadata][mesh]"
_CONVERT = {int: "integer", float: "float"}


def _quoted(pattern: str) -> str:
    # Logstash strings keep backslashes as written (config.support_escapes is off); a single-quoted one can hold `"`.
    if "'" in pattern:
        raise ValueError(f"a Logstash pattern cannot hold a single quote: {pattern}")
    return f"'{pattern}'"


def _present(ref: str) -> str:
    return f"{ref} and " + " and ".join(f'{ref} != "{v}"' for v in EMPTY_VALUES if v)


def _rules(fmt: AccessLogFormat, indent: str) -> list[str]:
    lines = []
    for rule in fmt.rules:
        source = f"{DECODED}[{rule.source}]"
        if rule.pattern is not None:
            action = f'grok {{ match => {{ "{source}" => {_quoted(onigmo(rule.pattern, {"value": rule.field}))} }} tag_on_failure => [] }}'
        elif rule.scale is not None:
            code = f"event.set('{rule.field}', event.get('{source}').to_f * {rule.scale!r})"
            action = f'ruby {{ code => "{code}" }}'
        else:
            action = f'mutate {{ copy => {{ "{source}" => "{rule.field}" }} }}'
        lines.append(f"{indent}if {_present(source)} {{ {action} }}")
    converts = [f'"{field}" => "{_CONVERT[kind]}"' for field, kind in NUMERIC_FIELDS.items() if any(r.field == field for r in fmt.rules)]
    lines.append(f"{indent}mutate {{ convert => {{ {' '.join(converts)} }} }}")
    return lines


def logstash_mesh_filter() -> str:
    """The `filter { }` section: one branch per proxy container, its formats tried in mesh.py's order."""
    lines = ["filter {"]
    for container, formats in formats_by_container().items():
        lines.append(f'  if [kubernetes][container_name] == "{container}" and ![status] {{')
        if any(f.encoding == "json" for f in formats):
            lines.append("    if [log] =~ /^\\s*\\{/ {")
            lines.append(f'      json {{ source => "log" target => "{DECODED}" skip_on_invalid_json => true tag_on_failure => [] }}')
            lines.append("    }")
        for fmt in formats:
            if fmt.regex is not None:
                grok = f'grok {{ match => {{ "log" => {_quoted(onigmo(fmt.regex))} }} target => "{DECODED}" tag_on_failure => [] }}'
                lines.append(f"    else {{ {grok} }}")
        for fmt in rule_sets(formats):
            lines.append(f"    if {DECODED}[{fmt.marker}] {{")
            lines += _rules(fmt, "      ")
            lines.append("    }")
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"
