"""Jaeger v2's configuration: every receiver serves TLS and requires a client certificate; spans are kept the store's
hot days in Elasticsearch (ELK) or Badger (Loki); no credential in the configuration."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.tracing.jaeger_config import JaegerInputs, jaeger_config, jaeger_values

RECEIVERS = (("otlp", "protocols", "grpc"), ("otlp", "protocols", "http"), ("zipkin",))


def _at(config: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    for step in path:
        config = config[step]
    return config


@pytest.mark.parametrize("storage", ["elasticsearch", "badger"])
def test_every_receiver_serves_tls_and_requires_a_client_certificate(storage: str) -> None:
    config = jaeger_config(JaegerInputs(storage, 7))  # type: ignore[arg-type]
    assert config["service"]["pipelines"]["traces"]["receivers"] == ["otlp", "zipkin"]
    for path in RECEIVERS:
        tls = _at(config["receivers"], path)["tls"]
        assert set(tls) >= {"cert_file", "key_file", "client_ca_file"}, path


def test_elk_spans_go_to_the_stores_elasticsearch_over_verified_tls_with_a_password_file() -> None:
    backend = jaeger_config(JaegerInputs("elasticsearch", 14))["extensions"]["jaeger_storage"]["backends"]["primary"]
    es = backend["elasticsearch"]
    assert es["server_urls"] == ["https://logmesh-es-http.logging.svc:9200"]
    assert es["tls"]["ca_file"] and "insecure" not in json.dumps(es["tls"])
    assert es["auth"]["basic"] == {"username": "jaeger", "password_file": "/etc/jaeger/es-user/password"}
    assert es["indices"]["index_prefix"] == "logmesh-traces" and es["max_span_age"] == "336h"


def test_loki_stores_keep_spans_in_badger_for_the_hot_days_on_a_volume() -> None:
    inputs = JaegerInputs("badger", 30)
    backend = jaeger_config(inputs)["extensions"]["jaeger_storage"]["backends"]["primary"]
    assert backend == {
        "badger": {"directories": {"keys": "/badger/keys", "values": "/badger/values"}, "ephemeral": False, "ttl": {"spans": "720h"}}
    }
    values = jaeger_values(inputs, "ClusterIP", {})
    assert {"name": "badger", "persistentVolumeClaim": {"claimName": "jaeger-badger"}} in values["jaeger"]["extraVolumes"]


def test_values_run_restricted_without_an_api_token_and_hold_no_password() -> None:
    values = jaeger_values(JaegerInputs("elasticsearch", 7), "ClusterIP", {})
    jaeger = values["jaeger"]
    assert jaeger["serviceAccount"]["automountServiceAccountToken"] is False
    assert jaeger["podSecurityContext"]["runAsNonRoot"] and jaeger["securityContext"]["readOnlyRootFilesystem"]
    assert 'password":' not in json.dumps(values)
