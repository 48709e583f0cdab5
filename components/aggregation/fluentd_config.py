"""Fluentd's configuration text for an aggregation tier: the TLS forward input that authenticates collectors (shared
key and user), and the buffered output to the store's backend over verified TLS with the collectors' credential.
Tenants and cluster labels travel in each record's `labels` (set by the collector) and pick the Loki tenant or the
Elasticsearch data stream here, so they survive the hop."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from components.aggregation.forward import FORWARD_PASSWORD_ENV, FORWARD_USERNAME_ENV, OUTPUT_PASSWORD_ENV, OUTPUT_USERNAME_ENV
from components.names import ES_INDEX_PREFIX

FORWARD_PORT = 24224
TLS_DIR = "/etc/logmesh/tls"
BACKEND_CA_DIR = "/etc/logmesh/backend-ca"
BUFFER_DIR = "/var/log/fluent/buffer"
# Environment variables the pod reads from Kubernetes Secrets (secretKeyRef); the configuration only names them.
SHARED_KEY_ENV = "LOGMESH_FORWARD_SHARED_KEY"
# The record field the collectors nest their static labels under (cloud, cluster, environment).
LABELS_KEY = "labels"


@dataclass(frozen=True)
class FluentdOutput:
    """Where the tier writes: the backend's in-cluster Service, its kind and its buffer bound."""

    kind: str  # "loki" or "elk"
    host: str
    port: int
    path: str
    buffer_limit: str  # Fluentd size, such as 19353m
    index_prefix: str = ES_INDEX_PREFIX


def env(name: str) -> str:
    return f"\"#{{ENV['{name}']}}\""


def block(tag: str, entries: Sequence[tuple[str, object] | str], indent: int = 0) -> str:
    """`<tag>` with one `key value` line per entry (or a nested block, given as text), then `</tag>`."""
    pad = " " * (indent + 2)
    lines = [f"{' ' * indent}<{tag}>"]
    for entry in entries:
        lines.append(entry if isinstance(entry, str) else f"{pad}{entry[0]} {entry[1]}")
    lines.append(f"{' ' * indent}</{tag.split()[0]}>")
    return "\n".join(lines)


def fluentd_source() -> str:
    transport = block(
        "transport tls",
        [("cert_path", f"{TLS_DIR}/tls.crt"), ("private_key_path", f"{TLS_DIR}/tls.key"), ("min_version", "TLS1_2")],
        2,
    )
    user = block("user", [("username", env(FORWARD_USERNAME_ENV)), ("password", env(FORWARD_PASSWORD_ENV))], 4)
    security = block(
        "security",
        [("self_hostname", env("HOSTNAME")), ("shared_key", env(SHARED_KEY_ENV)), ("user_auth", "true"), user],
        2,
    )
    source = block(
        "source",
        [("@type", "forward"), ("@id", "in_forward_collectors"), ("port", FORWARD_PORT), ("bind", "0.0.0.0"), transport, security],
    )
    return source + "\n"


def _buffer(chunk_keys: str, limit: str) -> str:
    entries: list[tuple[str, object] | str] = [
        ("@type", "file"),
        ("path", f"{BUFFER_DIR}/backend"),
        ("total_limit_size", limit),
        ("chunk_limit_size", "8m"),
        ("flush_interval", "5s"),
        ("flush_thread_count", 4),
        ("retry_type", "exponential_backoff"),
        ("retry_max_interval", "60s"),
        ("retry_forever", "true"),
        ("overflow_action", "block"),
    ]
    return block(f"buffer {chunk_keys}", entries, 2)


def fluentd_output(output: FluentdOutput) -> str:
    cluster = f"$.{LABELS_KEY}.cluster"
    if output.kind == "loki":
        labels = block(
            "label",
            [(k, f"$.{LABELS_KEY}.{k}") for k in ("cloud", "cluster", "environment")] + [("namespace", "$.kubernetes.namespace_name")],
            2,
        )
        entries: list[tuple[str, object] | str] = [
            ("@type", "loki"),
            ("@id", "out_backend"),
            ("url", f"https://{output.host}:{output.port}"),
            ("username", env(OUTPUT_USERNAME_ENV)),
            ("password", env(OUTPUT_PASSWORD_ENV)),
            ("tenant", f"${{{cluster}}}"),
            ("ca_cert", f"{BACKEND_CA_DIR}/ca.crt"),
            ("insecure_tls", "false"),
            ("line_format", "json"),
            labels,
            _buffer(cluster, output.buffer_limit),
        ]
    else:
        entries = [
            ("@type", "elasticsearch"),
            ("@id", "out_backend"),
            ("host", output.host),
            ("port", output.port),
            ("scheme", "https"),
            ("ssl_verify", "true"),
            ("ca_file", f"{BACKEND_CA_DIR}/ca.crt"),
            ("user", env(OUTPUT_USERNAME_ENV)),
            ("password", env(OUTPUT_PASSWORD_ENV)),
            ("index_name", f"{output.index_prefix}${{{cluster}}}"),
            ("write_operation", "create"),
            ("suppress_type_name", "true"),
            _buffer(cluster, output.buffer_limit),
        ]
    return block("match kube.**", entries) + "\n"
