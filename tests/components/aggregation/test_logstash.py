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
from tests.helpers.backend_lookups import backends, custom, one, secret_data
from tests.helpers.collector_lookups import collectors, fluent_bit_sections, workload
from tests.helpers.harness import elk_config, run
from tests.helpers.support import descendants, manifest, plain

TIER = "logmesh:aggregation:LogstashAggregator"
BACKEND_URL = "https://logmesh-es-http.logging.svc.cluster.local:9200"
# What a leaked tier credential must not be able to do: delete, read, reindex or manage any index.
WIDE_PRIVILEGES = {"all", "manage", "delete", "delete_index", "read", "index", "write", "view_index_metadata", "create_index"}


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
    assert text == logstash_pipeline(BACKEND_URL, 8443)
    assert re.search(r'ssl_enabled\s+=> true\s+ssl_certificate\s+=> "/usr/share/logstash/config/logmesh-tls/tls.crt"', text)
    settings = dict(re.findall(r"^\s+(\w+)\s+=> (.+)$", text, re.M))  # the output's repeat the input's keys
    assert re.search(r'user\s+=> "\$\{LOGMESH_FORWARD_USERNAME\}"\s+password\s+=> "\$\{LOGMESH_FORWARD_PASSWORD\}"', text)
    assert settings["ssl_verification_mode"] == '"full"'
    assert settings["index"] == '"logs-logmesh-%{[labels][cluster]}"' and settings["action"] == '"create"'


def output_settings(recording: Recording) -> dict[str, str]:
    """The elasticsearch output's settings, read from the rendered pipeline text."""
    [pipeline] = logstash(recording)["spec"]["pipelines"]
    output = pipeline["config.string"].split("\noutput {\n", 1)[1]
    assert output.startswith("  elasticsearch {\n")
    return dict(re.findall(r"^\s+(\w+)\s+=> (.+)$", output, re.M))


def test_the_output_verifies_the_backends_ca_and_reads_its_user_from_the_backends_secret(staging: Recording) -> None:
    settings = output_settings(staging)
    assert settings["hosts"] == f'["{BACKEND_URL}"]'
    assert (settings["ssl_enabled"], settings["ssl_verification_mode"]) == ("true", '"full"')
    assert settings["ssl_certificate_authorities"] == '["/usr/share/logstash/config/logmesh-backend-ca/ca.crt"]'
    assert (settings["user"], settings["password"]) == ('"${LOGMESH_OUTPUT_USERNAME}"', '"${LOGMESH_OUTPUT_PASSWORD}"')
    pod = logstash(staging)["spec"]["podTemplate"]["spec"]
    [container] = pod["containers"]
    env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]}
    assert env["LOGMESH_OUTPUT_USERNAME"] == {"name": "elasticsearch-collector", "key": "username"}
    assert env["LOGMESH_OUTPUT_PASSWORD"] == {"name": "elasticsearch-collector", "key": "password"}
    # The mounted CA is the backend's own (the ConfigMap holds a certificate, no key).
    [mount] = [m for m in container["volumeMounts"] if m["mountPath"] == "/usr/share/logstash/config/logmesh-backend-ca"]
    [volume] = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    [ca] = [r for r in descendants(staging, tier(staging)) if r.type == "kubernetes:core/v1:ConfigMap"]
    assert volume["configMap"]["name"] == plain(ca.inputs)["metadata"]["name"] == "logstash-backend-ca"
    [backend] = [b for b in backends(staging) if b.name == "aws-main"]
    assert plain(ca.inputs)["data"] == {"ca.crt": secret_data(staging, backend, "elasticsearch-http-tls")["ca.crt"]}


def test_the_tier_writes_as_a_user_that_may_only_create_documents_in_logs_logmesh(staging: Recording) -> None:
    """Followed from the pipeline to the role: the output's user env -> its Secret -> the Elasticsearch file realm that
    Secret defines -> its roles in the backend's roles document. ECK's `elasticsearchRefs` association would have
    given the tier ECK's eck_logstash_user_role instead (manage, read, write on logs-*, metrics-*, traces-*, ...)."""
    spec = logstash(staging)["spec"]
    assert "elasticsearchRefs" not in spec
    user_env = re.fullmatch(r'"\$\{(\w+)\}"', output_settings(staging)["user"])
    assert user_env
    [container] = spec["podTemplate"]["spec"]["containers"]
    [user_secret] = [e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"] if e["name"] == user_env.group(1)]
    [backend] = [b for b in backends(staging) if b.name == "aws-main"]
    assert {"secretName": user_secret} in custom(staging, backend, "Elasticsearch")["spec"]["auth"]["fileRealm"]
    user = secret_data(staging, backend, user_secret)
    assert one(staging, backend, "kubernetes:core/v1:Secret", user_secret).inputs["type"] == "kubernetes.io/basic-auth"
    roles = json.loads(secret_data(staging, backend, "elasticsearch-roles")["roles.yml"])
    granted = [roles[name] for name in user["roles"].split(",")]
    assert granted and all(set(role) <= {"cluster", "indices"} for role in granted)
    assert {p for role in granted for p in role.get("cluster", [])} <= {"monitor"}
    indices = [grant for role in granted for grant in role.get("indices", [])]
    assert {name for grant in indices for name in grant["names"]} == {"logs-logmesh-*"}
    privileges = {p for grant in indices for p in grant["privileges"]}
    assert privileges == {"create_doc", "auto_configure"} and not privileges & WIDE_PRIVILEGES


def test_the_persistent_queue_is_sized_from_the_daily_volume_and_outage_window(staging: Recording) -> None:
    spec = logstash(staging)["spec"]
    [pipeline] = spec["pipelines"]
    assert spec["count"] == 2
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
    assert len(checked) == 6  # TLS Secret, credentials Secret, the backend's CA ConfigMap, three NetworkPolicies


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
