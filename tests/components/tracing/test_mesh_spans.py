"""How each mesh sends spans: Istio through a Telemetry tracing provider over mutual TLS, Linkerd through the
linkerd-jaeger collector, which forwards over mutual TLS."""

from __future__ import annotations

from components.tracing.mesh_spans import (
    ISTIO_TRACING_PROVIDER_NAME,
    istio_destination_rule,
    istio_telemetry_tracing,
    istio_tracing_provider,
    linkerd_collector_config,
    linkerd_trace_annotations,
)

HOST = "aws-use1-traces.logs.acme.internal"


def test_istio_traces_at_the_configured_rate_through_the_logmesh_provider() -> None:
    assert istio_telemetry_tracing(2.5) == [{"providers": [{"name": ISTIO_TRACING_PROVIDER_NAME}], "randomSamplingPercentage": 2.5}]
    assert istio_tracing_provider(HOST) == {"name": ISTIO_TRACING_PROVIDER_NAME, "zipkin": {"service": HOST, "port": 9411}}


def test_istio_proxies_present_a_client_certificate_and_verify_the_receiver() -> None:
    rule = istio_destination_rule(HOST)
    assert rule["host"] == HOST
    (port,) = rule["trafficPolicy"]["portLevelSettings"]
    assert port["port"] == {"number": 9411}
    assert port["tls"] == {"mode": "MUTUAL", "credentialName": "jaeger-client-tls", "sni": HOST}


def test_linkerd_proxies_send_to_the_meshed_collector_which_forwards_over_mutual_tls() -> None:
    annotations = linkerd_trace_annotations()
    assert annotations["config.linkerd.io/trace-collector"].startswith("collector.linkerd-jaeger")
    config = linkerd_collector_config(HOST)
    exporter = config["exporters"]["otlp/logmesh"]
    assert exporter["endpoint"] == f"{HOST}:4317"
    assert set(exporter["tls"]) == {"ca_file", "cert_file", "key_file"} and "insecure" not in exporter["tls"]
    assert config["service"]["pipelines"]["traces"]["exporters"] == ["otlp/logmesh"]
