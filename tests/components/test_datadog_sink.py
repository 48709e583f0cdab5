"""The Datadog sink under mocks: a DatadogSink per sending cluster, the API key only in its Secret (a Pulumi secret),
and Fluent Bit's datadog output over verified TLS to the site's intake, after the same mesh parsing as the backend's."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.collectors.fluent_bit_config import fluent_bit_datadog_output
from components.config.loading import parse_config
from components.sinks.datadog import API_KEY_ENV, API_KEY_SECRET
from preflight.record.program import record_program
from preflight.record.recording import Recording, Registration
from preflight.secrets import is_secret
from tests.helpers.collector_lookups import collectors, fluent_bit_sections, workload
from tests.helpers.harness import PROJECT, stack_config
from tests.helpers.support import descendants

API_KEY = "dd-api-key-do-not-leak-0123456789"
SINK = "logmesh:sinks:DatadogSink"


def datadog_config() -> dict[str, Any]:
    config = stack_config("staging")
    config["logmesh:datadog"] = {"site": "datadoghq.eu", "api_key": API_KEY, "clusters": ["stg-eks"]}
    return config


@pytest.fixture(scope="module")
def recording() -> Recording:
    return record_program(PROJECT.main, PROJECT.name, "staging", datadog_config(), ["logmesh:datadog"])


def _sink(recording: Recording, cluster: str) -> Registration:
    [sink] = [r for r in descendants(recording, collectors(recording)[cluster]) if r.type == SINK]
    return sink


def test_only_the_listed_cluster_gets_a_sink_below_its_collector(recording: Recording) -> None:
    assert [r.name for r in recording.of_type(SINK)] == ["stg-eks-datadog"]
    assert _sink(recording, "stg-eks").parent == collectors(recording)["stg-eks"].urn


def test_the_api_key_is_only_in_the_sinks_secret_and_secret(recording: Recording) -> None:
    [secret] = [r for r in descendants(recording, _sink(recording, "stg-eks")) if r.type == "kubernetes:core/v1:Secret"]
    assert secret.inputs["metadata"]["name"] == API_KEY_SECRET and secret.inputs["metadata"]["namespace"] == "collectors"
    assert is_secret(secret.inputs["stringData"]) or is_secret(secret.inputs["stringData"]["api-key"])
    # Nowhere in plain text: not in values, ConfigMaps or any other input.
    outside_secrets = json.dumps([r.inputs for r in recording.resources if r.urn != secret.urn])
    assert API_KEY not in outside_secrets.replace('"api-key"', "")
    values = workload(recording, collectors(recording)["stg-eks"])
    assert {"name": API_KEY_ENV, "valueFrom": {"secretKeyRef": {"name": API_KEY_SECRET, "key": "api-key"}}} in values["env"]
    release = next(r for r in descendants(recording, collectors(recording)["stg-eks"]) if r.type == "kubernetes:helm.sh/v3:Release")
    assert secret.urn in release.dependencies or _sink(recording, "stg-eks").urn in release.dependencies


def test_fluent_bit_sends_parsed_logs_to_the_intake_over_verified_tls(recording: Recording) -> None:
    values = workload(recording, collectors(recording)["stg-eks"])
    outputs = fluent_bit_sections(values["config"], "outputs")
    assert [o["Name"] for o in outputs] == ["forward", "datadog"]  # stg-eks forwards to aws-main's Fluentd tier
    datadog = outputs[1]
    assert datadog["Host"] == "http-intake.logs.datadoghq.eu" and datadog["Port"] == "443"
    assert (datadog["tls"], datadog["tls.verify"], datadog["tls.verify_hostname"]) == ("On", "On", "On")
    assert datadog["apikey"] == f"${{{API_KEY_ENV}}}"
    # The same records as the backend's output: every filter (mesh parsers, the Lua normalizer) matches kube.*.
    assert datadog["Match"] == outputs[0]["Match"] == "kube.*"
    assert datadog["dd_tags"] == "cloud:aws,cluster:stg-eks,environment:staging"
    assert datadog["Retry_Limit"] == "no_limits" and datadog["storage.total_limit_size"]
    alloy = workload(recording, collectors(recording)["stg-gke"])
    assert "datadog" not in json.dumps(alloy)


def test_the_renderer_is_pure_data_in_text_out() -> None:
    raw = {k.removeprefix("logmesh:"): v for k, v in datadog_config().items()}
    platform = parse_config(raw, ["datadog"])
    text = fluent_bit_datadog_output(platform, platform.cluster("stg-eks"))
    assert text.startswith("[OUTPUT]\n    Name") and "compress" in text and API_KEY not in text
    assert fluent_bit_datadog_output(platform, platform.cluster("stg-gke")) == ""


def test_the_staging_example_sends_to_datadog_only_with_its_approval() -> None:
    from preflight.analyze.config import load_policy_config, resolve_config
    from preflight.analyze.pack import load_policy_pack
    from preflight.analyze.servicer import Analyzer
    from tests.helpers.harness import ROOT, example_recording

    staging = example_recording("staging")
    assert [r.name for r in staging.of_type(SINK)] == ["stg-eks-datadog"]
    pack = load_policy_pack(ROOT / "policies")
    config = load_policy_config(ROOT / "policies" / "config" / "staging.json")
    policy = "external-log-destination-approved"
    assert not [v for v in Analyzer(pack, resolve_config(pack, config)).analyze(staging).violations if v.policy == policy]
    config[policy]["approved_destinations"] = []
    unapproved = [v for v in Analyzer(pack, resolve_config(pack, config)).analyze(staging).mandatory if v.policy == policy]
    assert [v.urn.rsplit("::", 1)[-1] for v in unapproved] == ["stg-eks-fluent-bit"]
