"""Fluent Bit's configuration text: service, tail input, the mesh parsers and filters, the Lua normalizer and the
output, each a list of sections rendered from data (the mesh rules of components/mesh.py, the cluster and the
endpoint)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib.resources import files
from typing import Any

import pulumi

from components.backends.interface import BackendEndpoint
from components.collectors.interface import (
    BUFFER_LIMIT,
    CA_FILE,
    PASSWORD_ENV,
    SHARED_KEY_ENV,
    USERNAME_ENV,
    helm_literal,
    static_labels,
)
from components.config.schema import ClusterConfig, PlatformConfig
from components.mesh import ACCESS_LOG_FORMATS, CANONICAL_FIELDS, AccessLogFormat, onigmo, rules_as_data
from components.names import data_stream, tenant
from components.sinks.datadog import API_KEY_ENV

FLUENT_BIT_STATE = "/var/fluent-bit/state"
FLUENT_BIT_LUA = "logmesh_mesh.lua"
# The normalizer's program (assets/mesh-access-logs.lua); fluent_bit_lua puts the mesh rules in front of it as `formats`.
MESH_ACCESS_LOGS_LUA = files("components.collectors").joinpath("assets/mesh-access-logs.lua").read_text(encoding="utf-8")


def section(kind: str, entries: Sequence[tuple[str, object]], width: int) -> str:
    """One `[KIND]` section, a `key value` line per entry with the keys padded to `width`, without a final newline."""
    return f"[{kind}]" + "".join(f"\n    {key:<{width}}{value}" for key, value in entries)


def fluent_bit_service() -> str:
    entries = [
        ("Daemon", "Off"),
        ("Flush", 1),
        ("Log_Level", "info"),
        ("Parsers_File", "/fluent-bit/etc/parsers.conf"),
        ("Parsers_File", "/fluent-bit/etc/conf/custom_parsers.conf"),
        ("HTTP_Server", "On"),
        ("HTTP_Listen", "0.0.0.0"),
        ("HTTP_Port", 2020),
        ("Health_Check", "On"),
        ("storage.path", f"{FLUENT_BIT_STATE}/flb-storage/"),
        ("storage.sync", "normal"),
        ("storage.checksum", "off"),
        ("storage.max_chunks_up", 128),
        ("storage.backlog.mem_limit", "16M"),
    ]
    return section("SERVICE", entries, 26) + "\n"


def fluent_bit_inputs() -> str:
    entries = [
        ("Name", "tail"),
        ("Path", "/var/log/containers/*.log"),
        ("multiline.parser", "docker, cri"),
        ("Tag", "kube.*"),
        ("Skip_Long_Lines", "On"),
        ("DB", f"{FLUENT_BIT_STATE}/flb_kube.db"),
        ("DB.locking", "true"),
        ("Mem_Buf_Limit", "16MB"),
        ("storage.type", "filesystem"),
        ("Refresh_Interval", 10),
    ]
    return section("INPUT", entries, 18) + "\n"


def fluent_bit_parsers() -> str:
    """The mesh parsers: a JSON decoder, the Envoy text regex, and one regex per extracting field rule."""
    blocks = [section("PARSER", [("Name", "logmesh_json"), ("Format", "json")], 7)]
    for fmt in ACCESS_LOG_FORMATS:
        if fmt.regex is not None:
            blocks.append(section("PARSER", [("Name", _format_parser(fmt)), ("Format", "regex"), ("Regex", onigmo(fmt.regex))], 7))
        for rule in fmt.rules:
            # Text formats share their JSON twin's rules; an extracting rule needs one parser per JSON format.
            if rule.pattern is not None and fmt.encoding == "json":
                regex = onigmo(rule.pattern, {"value": rule.field})
                blocks.append(section("PARSER", [("Name", _extract_parser(fmt, rule.field)), ("Format", "regex"), ("Regex", regex)], 7))
    return "\n\n".join(blocks) + "\n"


def _format_parser(fmt: AccessLogFormat) -> str:
    return f"logmesh_{fmt.name.replace('-', '_')}"


def _extract_parser(fmt: AccessLogFormat, field: str) -> str:
    return f"{_format_parser(fmt)}_{field}"


def _proxy_match(container: str) -> str:
    # Tail tags are kube.<path with dots>: kube.var.log.containers.<pod>_<namespace>_<container>-<id>.log
    return f"kube.*_{container}-*"


def fluent_bit_lua() -> str:
    """Canonical fields from decoded access logs (rename and unit rules), generated from components/mesh.py.

    Extracting rules (a regex on a key) run before this as parser filters; here only plain and scaled copies."""
    formats = [
        {**{k: v for k, v in fmt.items() if k in ("name", "marker")}, "rules": [r for r in fmt["rules"] if "pattern" not in r]}
        for fmt in rules_as_data()
        if fmt["encoding"] == "json" or "regex" in fmt
    ]
    # Text formats share their JSON twin's keys and rules; keep one entry per marker.
    unique = list({fmt["marker"]: fmt for fmt in formats}.values())
    header = "-- Generated from components/mesh.py ACCESS_LOG_FORMATS; do not edit.\n"
    return header + f"local formats = {_lua(unique)}\n" + MESH_ACCESS_LOGS_LUA


def _lua(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"[{json.dumps(k)}] = {_lua(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "{ " + ", ".join(_lua(v) for v in value) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value)


def fluent_bit_filters(platform: PlatformConfig, cluster: ClusterConfig, kind: str) -> str:
    kubernetes = [
        ("Name", "kubernetes"),
        ("Match", "kube.*"),
        ("Merge_Log", "Off"),
        ("Keep_Log", "On"),
        ("K8S-Logging.Parser", "Off"),
        ("K8S-Logging.Exclude", "Off"),
        ("Labels", "Off"),
        ("Annotations", "Off"),
        ("Buffer_Size", 0),
    ]
    blocks = [section("FILTER", kubernetes, 20)]
    for container in dict.fromkeys(f.container for f in ACCESS_LOG_FORMATS):
        match = _proxy_match(container)
        formats = [f for f in ACCESS_LOG_FORMATS if f.container == container]
        parsers = ["logmesh_json"] + [_format_parser(f) for f in formats if f.regex is not None]
        blocks.append(_parser_filter(match, "log", parsers))
        for fmt in formats:
            for rule in fmt.rules:
                if rule.pattern is not None and fmt.encoding == "json":
                    blocks.append(_parser_filter(match, rule.source, [_extract_parser(fmt, rule.field)]))
    lua = [("Name", "lua"), ("Match", "kube.*"), ("script", f"/fluent-bit/scripts/{FLUENT_BIT_LUA}"), ("call", "normalize_access_log")]
    blocks.append(section("FILTER", lua, 7))
    if kind == "elk":
        # Elasticsearch has no stream labels: the same labels become ECS `labels.*` fields.
        adds = [("Add", f"logmesh_label_{k} {v}") for k, v in static_labels(platform, cluster).items()]
        blocks.append(section("FILTER", [("Name", "modify"), ("Match", "kube.*"), *adds], 10))
        nest = [
            ("Name", "nest"),
            ("Match", "kube.*"),
            ("Operation", "nest"),
            ("Wildcard", "logmesh_label_*"),
            ("Nest_under", "labels"),
            ("Remove_prefix", "logmesh_label_"),
        ]
        blocks.append(section("FILTER", nest, 14))
    return "\n\n".join(dict.fromkeys(blocks)) + "\n"


def _parser_filter(match: str, key: str, parsers: Sequence[str]) -> str:
    entries = [("Name", "parser"), ("Match", match), ("Key_Name", key), *(("Parser", p) for p in parsers)]
    return section("FILTER", [*entries, ("Reserve_Data", "On"), ("Preserve_Key", "On")], 13)


def fluent_bit_output(platform: PlatformConfig, cluster: ClusterConfig, endpoint: BackendEndpoint) -> pulumi.Output[str]:
    # tls.verify checks the chain only; the host name is checked only with tls.verify_hostname (default Off).
    common = [
        ("tls", "On"),
        ("tls.verify", "On"),
        ("tls.verify_hostname", "On"),
        ("tls.ca_file", CA_FILE),
        ("Retry_Limit", "no_limits"),
        ("storage.total_limit_size", BUFFER_LIMIT),
    ]
    credentials = (f"${{{USERNAME_ENV}}}", f"${{{PASSWORD_ENV}}}")

    def render(host: str) -> str:
        if endpoint.via == "fluentd":
            # The tier (components/aggregation/fluentd_config.py) authenticates the shared key and the user.
            entries: list[tuple[str, object]] = [
                ("Name", "forward"),
                ("Match", "kube.*"),
                ("Host", host),
                ("Port", endpoint.port),
                ("Self_Hostname", "${HOSTNAME}"),
                ("Shared_Key", f"${{{SHARED_KEY_ENV}}}"),
                ("Username", credentials[0]),
                ("Password", credentials[1]),
                ("Require_ack_response", "True"),
            ]
        elif endpoint.via == "logstash":
            # Logstash's `http` input (components/aggregation/logstash_config.py) checks the user; a JSON array
            # becomes one event per record, which carries its labels.
            entries = [
                ("Name", "http"),
                ("Match", "kube.*"),
                ("Host", host),
                ("Port", endpoint.port),
                ("URI", "/"),
                ("Format", "json"),
                ("Json_date_key", "@timestamp"),
                ("Json_date_format", "iso8601"),
                ("http_User", credentials[0]),
                ("http_Passwd", credentials[1]),
            ]
        elif endpoint.kind == "loki":
            labels = ", ".join(f"{k}={v}" for k, v in static_labels(platform, cluster).items())
            metadata = ", ".join(f"{field}=${field}" for field in CANONICAL_FIELDS)
            entries = [
                ("Name", "loki"),
                ("Match", "kube.*"),
                ("host", host),
                ("port", endpoint.port),
                ("uri", endpoint.path),
                ("tenant_id", tenant(cluster)),
                ("http_user", credentials[0]),
                ("http_passwd", credentials[1]),
                ("labels", f"{labels}, namespace=$kubernetes['namespace_name']"),
                ("structured_metadata", metadata),
                ("line_format", "json"),
            ]
        else:
            entries = [
                ("Name", "es"),
                ("Match", "kube.*"),
                ("Host", host),
                ("Port", endpoint.port),
                ("HTTP_User", credentials[0]),
                ("HTTP_Passwd", credentials[1]),
                ("Index", data_stream(cluster)),
                ("Write_Operation", "create"),
                ("Suppress_Type_Name", "On"),
                ("Replace_Dots", "On"),
                ("Trace_Error", "On"),
            ]
        return section("OUTPUT", [*entries, *common], 25) + "\n"

    extra = fluent_bit_datadog_output(platform, cluster)
    return pulumi.Output.from_input(endpoint.host).apply(lambda host: helm_literal(render(host) + (f"\n{extra}" if extra else "")))


def fluent_bit_datadog_output(platform: PlatformConfig, cluster: ClusterConfig) -> str:
    """The Datadog output of a cluster that sends to Datadog (else ""): the same kube.* records the backend gets (mesh
    access logs parsed by the filters above), over TLS verified against the image's CA bundle, the API key from env."""
    if platform.datadog is None or not platform.sends_to_datadog(cluster):
        return ""
    entries: list[tuple[str, object]] = [
        ("Name", "datadog"),
        ("Match", "kube.*"),
        ("Host", platform.datadog.intake_host),
        ("Port", 443),
        ("tls", "On"),
        ("tls.verify", "On"),
        ("tls.verify_hostname", "On"),
        ("compress", "gzip"),
        ("apikey", f"${{{API_KEY_ENV}}}"),
        ("dd_source", "kubernetes"),
        ("dd_service", "logmesh"),
        ("dd_message_key", "log"),
        ("dd_tags", ",".join(f"{k}:{v}" for k, v in static_labels(platform, cluster).items())),
        ("Retry_Limit", "no_limits"),
        ("storage.total_limit_size", BUFFER_LIMIT),
    ]
    return section("OUTPUT", entries, 25) + "\n"
