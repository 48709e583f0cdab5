from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from policies.framework import Check, Report, resource_policy
from policies.lib.kubernetes import as_resource, chart_of, values_of
from policies.lib.types import HELM_TYPES
from policies.lib.values import get

# Receivers that open no listener (a Kafka consumer, the no-op receiver).
_NOT_LISTENERS = ("kafka", "nop")


def _listeners(receivers: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """(`otlp.grpc`, its settings) for every listener of every receiver; `grpc:` left empty is a default listener."""
    for name, receiver in receivers.items():
        if str(name).split("/")[0] in _NOT_LISTENERS:
            continue
        protocols = get(receiver, "protocols")
        if isinstance(protocols, Mapping):
            yield from ((f"{name}.{protocol}", settings) for protocol, settings in protocols.items())
        else:
            yield str(name), receiver


@resource_policy(
    name="trace-receivers-authenticated",
    description="Jaeger chart releases configure every span receiver (OTLP, Zipkin, Jaeger) with TLS and a client "
    "certificate requirement or an authenticator, so spans never travel in plaintext or from unauthenticated senders.",
    criteria=("CC6.1", "CC6.7"),
    anchors="logmesh (no public anchor)",
    severity=Severity.HIGH,
    remediation="Set `userconfig` (Jaeger v2's configuration) with tls.cert_file, tls.key_file and tls.client_ca_file "
    "(or auth.authenticator) on every receiver protocol; the chart's default configuration listens in plaintext.",
    domain="kubernetes",
    types=HELM_TYPES,
)
def trace_receivers_authenticated(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    resource = as_resource(args)
    if chart_of(resource) != "jaeger":
        return
    receivers = get(values_of(resource), "userconfig", "receivers")
    if not isinstance(receivers, Mapping) or not receivers:
        report("no userconfig receivers: Jaeger's default configuration receives spans in plaintext without authentication")
        return
    for path, settings in _listeners(receivers):
        tls = get(settings, "tls") or {}
        if not (get(tls, "cert_file") or get(tls, "cert_pem")) or not (get(tls, "key_file") or get(tls, "key_pem")):
            report(f"receiver {path} has no TLS certificate: spans arrive in plaintext")
        elif not (get(tls, "client_ca_file") or get(tls, "client_ca_pem") or get(settings, "auth", "authenticator")):
            report(f"receiver {path} neither requires a client certificate nor an authenticator: any sender is accepted")
