"""Service-mesh access logs: turning them on (Istio Telemetry, Linkerd annotation) and the one set of rules that
parses them.

The parsing rules are data (`ACCESS_LOG_FORMATS`). `parse_access_log` applies them in Python, and the collector
configurations are rendered from the same data: Fluent Bit parsers and a Lua filter, Alloy `loki.process` stages and
a Filebeat script processor. The regular expressions use only what Python `re`, Onigmo (Fluent Bit), RE2 (Alloy)
and JavaScript (Filebeat) share: character classes, `\\d`, `\\S`, `\\w`, optional non-capturing groups and named
groups (rendered per engine).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from components.config.schema import ClusterConfig
from components.names import MANAGED_BY_LABELS
from components.tracing.mesh_spans import istio_telemetry_tracing, linkerd_trace_annotations

# The fields every mesh access log is parsed into, whatever the mesh and encoding. Trace and request ids go to
# Loki structured metadata or Elasticsearch fields, never to labels.
CANONICAL_FIELDS = ("status", "method", "path", "duration_ms", "upstream", "source_identity", "trace_id", "request_id")
NUMERIC_FIELDS = {"status": int, "duration_ms": float}
# Values Envoy and Linkerd write for "not set".
EMPTY_VALUES = ("", "-")

PROXY_CONTAINERS: dict[str, str] = {"istio": "istio-proxy", "linkerd": "linkerd-proxy"}


@dataclass(frozen=True)
class FieldRule:
    """One canonical field taken from one key of a decoded log line.

    `pattern`, when set, is a regular expression whose single named group `value` is extracted from the key;
    `scale` converts a number to the canonical unit (Linkerd reports nanoseconds, the canonical unit is ms)."""

    field: str
    source: str
    pattern: str | None = None
    scale: float | None = None


@dataclass(frozen=True)
class AccessLogFormat:
    name: str
    mesh: Literal["istio", "linkerd"]
    encoding: Literal["json", "text"]
    # A key that only this mesh's decoded lines have: it tells an access log from the proxy's own logs.
    marker: str
    rules: tuple[FieldRule, ...]
    regex: str | None = None  # text formats: Python syntax, groups named after the JSON keys of the same mesh

    @property
    def container(self) -> str:
        return PROXY_CONTAINERS[self.mesh]


# W3C Trace Context: version-traceid-parentid-flags (https://www.w3.org/TR/trace-context/#traceparent-header).
TRACEPARENT_TRACE_ID = r"^[0-9a-f]{2}-(?P<value>[0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$"
# Linkerd logs the absolute request URI; the path (with its query) is what Envoy's %REQ(:PATH)% holds.
URI_PATH = r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*(?P<value>/.*)$"

# Envoy's default text format (envoy docs, "Default format string"), optionally with the fields Istio's default
# text format adds: response details after the flags and upstream/downstream addresses at the end.
ENVOY_TEXT = (
    r'^\[(?P<start_time>[^\]]+)\] "(?P<method>\S+) (?P<path>\S+) (?P<protocol>[^"]+)" '
    r"(?P<response_code>\d+) (?P<response_flags>\S+)"
    r'(?: (?P<response_code_details>\S+) (?P<connection_termination_details>\S+) "(?P<upstream_transport_failure_reason>[^"]*)")?'
    r" (?P<bytes_received>\d+) (?P<bytes_sent>\d+) (?P<duration>\d+) (?P<upstream_service_time>\S+)"
    r' "(?P<x_forwarded_for>[^"]*)" "(?P<user_agent>[^"]*)" "(?P<request_id>[^"]*)" "(?P<authority>[^"]*)" "(?P<upstream_host>[^"]*)"'
    r"(?: (?P<upstream_cluster>\S+) (?P<upstream_local_address>\S+) (?P<downstream_local_address>\S+)"
    r" (?P<downstream_remote_address>\S+) (?P<requested_server_name>\S+) (?P<route_name>\S+))?\s*$"
)

ENVOY_RULES = (
    FieldRule("status", "response_code"),
    FieldRule("method", "method"),
    FieldRule("path", "path"),
    FieldRule("duration_ms", "duration"),
    FieldRule("upstream", "upstream_host"),
    FieldRule("source_identity", "downstream_peer_uri_san"),
    FieldRule("trace_id", "traceparent", pattern=TRACEPARENT_TRACE_ID),
    FieldRule("request_id", "request_id"),
)

ACCESS_LOG_FORMATS: tuple[AccessLogFormat, ...] = (
    AccessLogFormat("envoy-json", "istio", "json", "response_code", ENVOY_RULES),
    AccessLogFormat("envoy-text", "istio", "text", "response_code", ENVOY_RULES, regex=ENVOY_TEXT),
    # Linkerd's JSON access log (linkerd.io, "HTTP Access Logging"). It carries no request id.
    AccessLogFormat(
        "linkerd-json",
        "linkerd",
        "json",
        "total_ns",
        (
            FieldRule("status", "status"),
            FieldRule("method", "method"),
            FieldRule("path", "uri", pattern=URI_PATH),
            FieldRule("duration_ms", "total_ns", scale=1e-6),
            FieldRule("upstream", "host"),
            FieldRule("source_identity", "client.id"),
            FieldRule("trace_id", "trace_id"),
        ),
    ),
)

# The JSON access log Istio is told to write (MeshConfig extensionProviders, see ISTIO_EXTENSION_PROVIDER): Istio's
# default JSON keys plus the W3C traceparent and the peer's SPIFFE identity, so logs join traces and identities.
ISTIO_PROVIDER_NAME = "logmesh-json"
ISTIO_JSON_LABELS: dict[str, str] = {
    "start_time": "%START_TIME%",
    "method": "%REQ(:METHOD)%",
    "path": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
    "protocol": "%PROTOCOL%",
    "response_code": "%RESPONSE_CODE%",
    "response_flags": "%RESPONSE_FLAGS%",
    "response_code_details": "%RESPONSE_CODE_DETAILS%",
    "connection_termination_details": "%CONNECTION_TERMINATION_DETAILS%",
    "upstream_transport_failure_reason": "%UPSTREAM_TRANSPORT_FAILURE_REASON%",
    "bytes_received": "%BYTES_RECEIVED%",
    "bytes_sent": "%BYTES_SENT%",
    "duration": "%DURATION%",
    "upstream_service_time": "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%",
    "x_forwarded_for": "%REQ(X-FORWARDED-FOR)%",
    "user_agent": "%REQ(USER-AGENT)%",
    "request_id": "%REQ(X-REQUEST-ID)%",
    "traceparent": "%REQ(TRACEPARENT)%",
    "authority": "%REQ(:AUTHORITY)%",
    "upstream_host": "%UPSTREAM_HOST%",
    "upstream_cluster": "%UPSTREAM_CLUSTER%",
    "upstream_local_address": "%UPSTREAM_LOCAL_ADDRESS%",
    "downstream_local_address": "%DOWNSTREAM_LOCAL_ADDRESS%",
    "downstream_remote_address": "%DOWNSTREAM_REMOTE_ADDRESS%",
    "downstream_peer_uri_san": "%DOWNSTREAM_PEER_URI_SAN%",
    "requested_server_name": "%REQUESTED_SERVER_NAME%",
    "route_name": "%ROUTE_NAME%",
}
ISTIO_EXTENSION_PROVIDER: dict[str, Any] = {
    "name": ISTIO_PROVIDER_NAME,
    "envoyFileAccessLog": {"path": "/dev/stdout", "logFormat": {"labels": ISTIO_JSON_LABELS}},
}


# --- the rules applied in Python ------------------------------------------------------------------------------


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and value.strip() in EMPTY_VALUES)


def apply_rules(fmt: AccessLogFormat, record: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical fields of one decoded line (JSON object or regex groups); absent values are left out."""
    fields: dict[str, Any] = {}
    for rule in fmt.rules:
        value: Any = record.get(rule.source)
        if not _present(value):
            continue
        if rule.pattern is not None:
            match = re.match(rule.pattern, str(value))
            if match is None:
                continue
            value = match.group("value")
        if rule.scale is not None:
            value = float(str(value)) * rule.scale
        cast = NUMERIC_FIELDS.get(rule.field)
        fields[rule.field] = cast(value) if cast is not None else str(value)
    return fields


def decode(line: str) -> tuple[AccessLogFormat, dict[str, Any]] | None:
    """Which access log format `line` is in, with its decoded keys; None for anything else."""
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            record = json.loads(stripped)
        except json.JSONDecodeError:
            return None
        if not isinstance(record, dict):
            return None
        for fmt in ACCESS_LOG_FORMATS:
            if fmt.encoding == "json" and fmt.marker in record:
                return fmt, record
        return None
    for fmt in ACCESS_LOG_FORMATS:
        if fmt.regex is not None and (match := re.match(fmt.regex, stripped)):
            return fmt, {k: v for k, v in match.groupdict().items() if v is not None}
    return None


def parse_access_log(line: str) -> dict[str, Any] | None:
    """The canonical fields of one mesh access log line, or None when the line is not one."""
    decoded = decode(line)
    return None if decoded is None else apply_rules(*decoded)


# --- renderings per regex engine ---------------------------------------------------------------------------------

_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>")


def onigmo(pattern: str, rename: Mapping[str, str] | None = None) -> str:
    """Fluent Bit's regex parser (Onigmo): named groups are (?<name>...)."""
    return _NAMED_GROUP.sub(lambda m: f"(?<{(rename or {}).get(m.group(1), m.group(1))}>", pattern)


def re2(pattern: str, rename: Mapping[str, str] | None = None) -> str:
    """Alloy's stage.regex (Go RE2): named groups are (?P<name>...)."""
    return _NAMED_GROUP.sub(lambda m: f"(?P<{(rename or {}).get(m.group(1), m.group(1))}>", pattern)


def positional(pattern: str) -> tuple[str, list[str]]:
    """Plain capture groups and their names in order, for engines without named groups (Filebeat's JavaScript)."""
    return _NAMED_GROUP.sub("(", pattern), _NAMED_GROUP.findall(pattern)


def formats_by_container() -> dict[str, list[AccessLogFormat]]:
    """Each proxy container's formats, in ACCESS_LOG_FORMATS' order (the order a decoder tries them)."""
    grouped: dict[str, list[AccessLogFormat]] = {}
    for fmt in ACCESS_LOG_FORMATS:
        grouped.setdefault(fmt.container, []).append(fmt)
    return grouped


def rule_sets(formats: list[AccessLogFormat]) -> list[AccessLogFormat]:
    """One format per marker: text formats share their JSON twin's keys and rules."""
    return list({fmt.marker: fmt for fmt in formats}.values())


def rules_as_data() -> list[dict[str, Any]]:
    """The formats as JSON-ready data for the script renderings (Lua table, JavaScript object)."""
    rendered: list[dict[str, Any]] = []
    for fmt in ACCESS_LOG_FORMATS:
        entry: dict[str, Any] = {"name": fmt.name, "encoding": fmt.encoding, "marker": fmt.marker, "container": fmt.container}
        if fmt.regex is not None:
            entry["regex"], entry["groups"] = positional(fmt.regex)
        entry["rules"] = []
        for rule in fmt.rules:
            item: dict[str, Any] = {"field": rule.field, "source": rule.source}
            if rule.pattern is not None:
                item["pattern"], _ = positional(rule.pattern)
            if rule.scale is not None:
                item["scale"] = rule.scale
            if rule.field in NUMERIC_FIELDS:
                item["numeric"] = True
            entry["rules"].append(item)
        rendered.append(entry)
    return rendered


# --- turning access logs on -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeshAccessLogsArgs:
    cluster: ClusterConfig
    provider: k8s.Provider
    # logmesh:tracing.sampling_percent when the cluster's spans go to its store's Jaeger (components/tracing/).
    sampling_percent: float | None = None


class MeshAccessLogs(pulumi.ComponentResource):
    """Envoy access logs in JSON through the logmesh provider (Istio), or the JSON access-log annotation on the
    opted-in namespaces (Linkerd). The cluster's collector parses both into CANONICAL_FIELDS."""

    mesh: pulumi.Output[str]
    namespaces: pulumi.Output[list[str]]

    def __init__(self, name: str, args: MeshAccessLogsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("logmesh:mesh:MeshAccessLogs", name, None, opts)
        cluster = args.cluster
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        if cluster.mesh == "istio":
            self._istio(name, cluster, child, args.sampling_percent)
        elif cluster.mesh == "linkerd":
            self._linkerd(name, cluster, child, args.sampling_percent is not None)
        self.mesh = pulumi.Output.from_input(cluster.mesh)
        self.namespaces = pulumi.Output.from_input(list(cluster.mesh_namespaces))
        self.register_outputs({"mesh": self.mesh, "namespaces": self.namespaces})

    @staticmethod
    def _istio(name: str, cluster: ClusterConfig, child: pulumi.ResourceOptions, sampling_percent: float | None) -> None:
        # Mesh-wide from istio-system (Istio's root namespace), or one Telemetry per listed namespace. One Telemetry
        # per scope carries both access logs and tracing: Istio merges no two selector-less Telemetries of a namespace.
        scopes = list(cluster.mesh_namespaces) or ["istio-system"]
        spec: dict[str, Any] = {"accessLogging": [{"providers": [{"name": ISTIO_PROVIDER_NAME}]}]}
        if sampling_percent is not None:
            spec["tracing"] = istio_telemetry_tracing(sampling_percent)
        for namespace in scopes:
            k8s.apiextensions.CustomResource(
                f"{name}-telemetry-{namespace}",
                api_version="telemetry.istio.io/v1",
                kind="Telemetry",
                metadata={"name": "logmesh-access-logs", "namespace": namespace, "labels": dict(MANAGED_BY_LABELS)},
                spec=spec,
                opts=child,
            )

    @staticmethod
    def _linkerd(name: str, cluster: ClusterConfig, child: pulumi.ResourceOptions, tracing: bool) -> None:
        # The namespaces belong to their teams: patch only the annotations (server-side apply), never own them.
        annotations = {"config.linkerd.io/access-log": "json", **(linkerd_trace_annotations() if tracing else {})}
        for namespace in cluster.mesh_namespaces:
            k8s.core.v1.NamespacePatch(
                f"{name}-access-log-{namespace}",
                metadata={"name": namespace, "annotations": annotations},
                opts=child,
            )
