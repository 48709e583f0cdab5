"""`logmesh:datadog` (the optional Datadog sink) and the retired Promtail collector: each mistake names its key."""

from __future__ import annotations

from typing import Any

import pytest

from components.config.loading import parse_config
from components.config.schema import DATADOG_SITES, ConfigError, PlatformConfig
from tests.helpers.harness import stack_config

API_KEY = "0123456789abcdef0123456789abcdef"


def _raw(stack: str = "staging") -> dict[str, Any]:
    return {k.removeprefix("logmesh:"): v for k, v in stack_config(stack).items()}


def _problems(raw: dict[str, Any], secret_keys: tuple[str, ...] = ("datadog",)) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, secret_keys)
    return caught.value.problems


def _parse(datadog: dict[str, Any]) -> PlatformConfig:
    return parse_config(_raw() | {"datadog": datadog}, ["datadog"])


def test_promtail_names_alloy_as_its_successor_and_how_to_switch() -> None:
    raw = _raw()
    raw["clusters"][0]["collector"] = "promtail"
    assert _problems(raw) == [
        "logmesh:clusters[0].collector: 'promtail' reached end of life upstream on 2026-03-02 and is not offered; "
        "its successor is Grafana Alloy: set collector: alloy (Loki; `alloy convert --source-format=promtail` translates "
        "an existing Promtail config) or fluent-bit (docs/collectors.md#promtail)"
    ]


def test_a_datadog_sink_on_every_fluent_bit_cluster_by_default() -> None:
    raw = _raw()
    raw["clusters"][1]["collector"] = "fluent-bit"
    platform = parse_config(raw | {"datadog": {"site": "datadoghq.eu", "api_key": API_KEY}}, ["datadog"])
    assert platform.datadog is not None
    assert platform.datadog.intake_host == "http-intake.logs.datadoghq.eu"
    assert [c.id for c in platform.clusters if platform.sends_to_datadog(c)] == ["stg-eks", "stg-gke"]
    assert API_KEY not in repr(platform)


def test_a_datadog_sink_per_cluster_or_per_store() -> None:
    by_cluster = _parse({"site": "us5.datadoghq.com", "api_key": API_KEY, "clusters": ["stg-eks"]})
    assert [c.id for c in by_cluster.clusters if by_cluster.sends_to_datadog(c)] == ["stg-eks"]
    by_store = _parse({"site": "datadoghq.com", "api_key": API_KEY, "stores": ["aws-main"]})
    assert [c.id for c in by_store.clusters if by_store.sends_to_datadog(c)] == ["stg-eks"]
    assert by_store.datadog is not None and by_store.datadog.intake_host == "http-intake.logs.datadoghq.com"


def test_every_documented_site_is_accepted_and_another_is_named() -> None:
    # Datadog's documented sites: dropping or adding one in the schema must be a deliberate change here too.
    assert set(DATADOG_SITES) == {
        "datadoghq.com",
        "us3.datadoghq.com",
        "us5.datadoghq.com",
        "datadoghq.eu",
        "ap1.datadoghq.com",
        "ap2.datadoghq.com",
        "ddog-gov.com",
    }
    for site in DATADOG_SITES:
        platform = _parse({"site": site, "api_key": API_KEY, "clusters": ["stg-eks"]})
        assert platform.datadog is not None and platform.datadog.intake_host == f"http-intake.logs.{site}"
    problems = _problems(_raw() | {"datadog": {"site": "datadog.eu", "api_key": API_KEY, "clusters": ["stg-eks"]}})
    assert problems == [f"logmesh:datadog.site: 'datadog.eu' is not a Datadog site; use one of {', '.join(DATADOG_SITES)}"]


def test_the_api_key_must_be_a_secret() -> None:
    problems = _problems(_raw() | {"datadog": {"site": "datadoghq.eu", "api_key": API_KEY, "clusters": ["stg-eks"]}}, ())
    assert problems == [
        "logmesh:datadog.api_key: holds credentials and must be a secret; set it with "
        "`pulumi config set --secret --path 'logmesh:datadog.api_key' <value>`"
    ]
    assert API_KEY not in "".join(problems)


def test_unknown_names_missing_keys_and_collectors_without_a_datadog_output() -> None:
    problems = _problems(_raw() | {"datadog": {"site": "datadoghq.eu", "api_key": API_KEY, "clusters": ["nope"], "stores": ["gone"]}})
    assert problems == [
        "logmesh:datadog.clusters[0]: no cluster named 'nope'; use one of stg-eks, stg-gke",
        "logmesh:datadog.stores[0]: no store named 'gone'; use one of aws-main, gcp-main",
    ]
    # stg-gke collects with Alloy, which has no Datadog log output.
    assert _problems(_raw() | {"datadog": {"site": "datadoghq.eu", "api_key": API_KEY}}) == [
        "logmesh:clusters[1].collector: 'alloy' cannot send to Datadog (logmesh:datadog): Alloy's only Datadog exporter is a "
        "community component for metrics and traces; set collector: fluent-bit on this cluster, or list the clusters "
        "that send in logmesh:datadog.clusters"
    ]
    assert _problems(_raw() | {"datadog": {"api_key": API_KEY}}) == ["logmesh:datadog.site: required key is missing"]
    assert _problems(_raw() | {"datadog": {"site": "datadoghq.eu"}}) == ["logmesh:datadog.api_key: required key is missing"]
