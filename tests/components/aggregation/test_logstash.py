"""The Logstash tier under mocks: staging switched to ELK with `aggregation: logstash` on aws-main. What the collector
sends and the tier accepts and writes is read from the rendered pipeline text and the Logstash resource."""

from __future__ import annotations

import json
import re
from typing import Any

import kubernetes_validate
import pytest

from components.aggregation.logstash import FORWARD_SECRET, LOGSTASH_SELECTOR
from components.aggregation.logstash_config import logstash_pipeline
from preflight.record.recording import Recording, Registration
from preflight.secrets import is_secret
from tests.helpers.backend_lookups import manifest
from tests.helpers.collector_lookups import collectors, fluent_bit_sections, workload
from tests.helpers.harness import elk_config, run
from tests.helpers.support import descendants, plain

TIER = "logmesh:aggregation:LogstashAggregator"


_recorded: list[Recording] = []


def logstash_staging() -> Recording:
    """Staging switched to ELK with a Logstash tier on aws-main, recorded once for every module that reads it."""
    if not _recorded:
        config = elk_config("staging")
        config["logmesh:stores"][0]["aggregation"] = "logstash"
        _recorded.append(run(config, "staging"))
    return _recorded[0]


@pytest.fixture(scope="module")
def staging() -> Recording:
    return logstash_staging()


def tier(recording: Recording) -> Registration:
    [found] = recording.of_type(TIER)
    return found


def logstash(recording: Recording) -> dict[str, Any]:
    [found] = [r for r in descendants(recording, tier(recording)) if r.type == "kubernetes:logstash.k8s.elastic.co/v1alpha1:Logstash"]
    return dict(plain(found.inputs))


def test_the_fluent_bit_cluster_sends_to_logstash_over_verified_tls_with_basic_auth(staging: Recording) -> None:
    assert tier(staging).name == "aws-main-aggregation"
    assert staging.stack_outputs["summary"]["stores"]["aws-main"]["aggregation"] == "logstash"
    outputs = fluent_bit_sections(workload(staging, collectors(staging)["stg-eks"])["config"], "outputs")
    [output] = [o for o in outputs if o["Name"] != "datadog"]
    assert output["Name"] == "http" and output["Format"] == "json"
    assert output["Host"] == "logstash-ls-ingest.logging.svc.cluster.local" and output["Port"] == "8443"
    assert (output["tls"], output["tls.verify"], output["tls.verify_hostname"]) == ("On", "On", "On")
    assert (output["http_User"], output["http_Passwd"]) == ("${LOGMESH_OUTPUT_USERNAME}", "${LOGMESH_OUTPUT_PASSWORD}")


def test_the_pipeline_accepts_only_tls_with_a_user_and_writes_each_clusters_data_stream(staging: Recording) -> None:
    [pipeline] = logstash(staging)["spec"]["pipelines"]
    text = pipeline["config.string"]
    assert text == logstash_pipeline(8443)
    assert re.search(r'ssl_enabled\s+=> true\s+ssl_certificate\s+=> "/usr/share/logstash/config/logmesh-tls/tls.crt"', text)
    settings = dict(re.findall(r"^\s+(\w+)\s+=> (.+)$", text, re.M))  # the output's repeat the input's keys
    assert re.search(r'user\s+=> "\$\{LOGMESH_FORWARD_USERNAME\}"\s+password\s+=> "\$\{LOGMESH_FORWARD_PASSWORD\}"', text)
    assert settings["ssl_verification_mode"] == '"full"'
    assert settings["ssl_certificate_authorities"] == '["${LOGMESH_ES_SSL_CERTIFICATE_AUTHORITY}"]'
    assert settings["index"] == '"logs-logmesh-%{[labels][cluster]}"' and settings["action"] == '"create"'


def test_the_persistent_queue_is_sized_from_the_daily_volume_and_outage_window(staging: Recording) -> None:
    spec = logstash(staging)["spec"]
    [pipeline] = spec["pipelines"]
    assert spec["count"] == 2 and spec["elasticsearchRefs"] == [{"name": "logmesh", "clusterName": "logmesh"}]
    assert (pipeline["queue.type"], pipeline["queue.max_bytes"]) == ("persisted", "19353mb")
    [claim] = spec["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "logstash-data" and claim["spec"]["resources"]["requests"]["storage"] == "21Gi"


def test_credentials_come_from_secrets_and_objects_validate(staging: Recording) -> None:
    spec = logstash(staging)["spec"]
    [container] = spec["podTemplate"]["spec"]["containers"]
    env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]}
    assert env["LOGMESH_FORWARD_PASSWORD"] == {"name": FORWARD_SECRET, "key": "password"}
    [credentials] = [r for r in descendants(staging, tier(staging)) if r.name.endswith("logstash-credentials")]
    assert is_secret(credentials.inputs["stringData"]) or is_secret(credentials.inputs["stringData"]["password"])
    assert plain(credentials.inputs)["stringData"]["password"] not in json.dumps(spec)
    # kubernetes-validate has no schema for ECK's Logstash custom resource (tests/system/test_eck_custom_resources.py
    # validates it against ECK's own CRD when the chart cache is present): every other object is checked.
    checked = [r for r in descendants(staging, tier(staging)) if r.type.split(":")[1].split("/")[0] in ("core", "networking.k8s.io")]
    for r in checked:
        kubernetes_validate.validate(manifest(r), "1.33", strict=True)
    assert len(checked) == 5  # TLS Secret, credentials Secret, three NetworkPolicies


def test_network_policies_admit_collectors_to_logstash_and_logstash_to_elasticsearch(staging: Recording) -> None:
    policies = {
        plain(r.inputs)["metadata"]["name"]: plain(r.inputs)["spec"]
        for r in descendants(staging, tier(staging))
        if r.type == "kubernetes:networking.k8s.io/v1:NetworkPolicy"
    }
    assert policies["collectors-to-logstash"]["podSelector"]["matchLabels"] == LOGSTASH_SELECTOR
    assert policies["collectors-to-logstash"]["ingress"][0]["ports"] == [{"port": 8443, "protocol": "TCP"}]
    assert policies["logstash-egress"]["egress"][0]["ports"] == [{"port": 9200, "protocol": "TCP"}]
    aws_main = {
        plain(r.inputs)["metadata"]["name"]
        for r in staging.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if r.name.split("-netpol-")[0] == "aws-main"
    }
    assert aws_main and "collectors-to-elasticsearch" not in aws_main


def test_the_reachability_matrix_needs_and_allows_collector_to_logstash_and_logstash_to_elasticsearch(staging: Recording) -> None:
    from preflight.report.network_needs import matrix
    from tests.preflight.report.test_reachability import described_pods

    verdicts, unexpected = matrix(staging, described_pods(staging))
    tier_flows = {(v.flow.what, v.flow.port) for v in verdicts if "tier" in v.flow.what}
    assert {("collector to tier ingest", 8443), ("tier to backend ingest", 9200)} <= tier_flows
    assert [(v.flow.what, v.flow.source, v.flow.destination) for v in verdicts if not v.allowed] == []
    assert [(f.source, f.destination, f.port) for f in unexpected] == []


def test_the_topology_draws_logstash_between_the_collector_and_elasticsearch(staging: Recording) -> None:
    from preflight.report.topology import build_topology

    nodes = {n.label: n for n in build_topology(staging).nodes}
    tier_node, collector, backend = (
        nodes["LogstashAggregator aws-main-aggregation"],
        nodes["FluentBitCollector stg-eks"],
        nodes["ElkBackend aws-main"],
    )
    edges = {(e.source, e.target): e.label for e in build_topology(staging).edges}
    assert tier_node.kind == "aggregation"
    assert edges[(collector.id, tier_node.id)] == "forwards to" and edges[(tier_node.id, backend.id)] == "writes to"
    assert (collector.id, backend.id) not in edges
