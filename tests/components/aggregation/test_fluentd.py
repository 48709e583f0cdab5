"""The Fluentd tier under mocks: staging's aws-main store has one. What the collector forwards and the tier accepts
and writes is read from the rendered configuration text; every object validates for Kubernetes 1.33."""

from __future__ import annotations

import json
import re
from typing import Any

import kubernetes_validate
import pytest

from components.aggregation.fluentd import FLUENTD_SELECTOR, FORWARD_SECRET
from components.aggregation.fluentd_mesh import fluentd_mesh_filters
from preflight.record.recording import Recording, Registration
from preflight.secrets import is_secret
from tests.helpers.collector_lookups import collectors, fluent_bit_sections, workload
from tests.helpers.harness import elk_recording, example_recording, run, stack_config
from tests.helpers.support import descendants, manifest, plain

TIER = "logmesh:aggregation:FluentdAggregator"


@pytest.fixture(scope="module", params=["loki", "elk"])
def staging(request: pytest.FixtureRequest) -> Recording:
    return example_recording("staging") if request.param == "loki" else elk_recording("staging")


def tier(recording: Recording) -> Registration:
    [found] = recording.of_type(TIER)
    return found


def release(recording: Recording) -> dict[str, Any]:
    [found] = [r for r in descendants(recording, tier(recording)) if r.type == "kubernetes:helm.sh/v3:Release"]
    return dict(plain(found.inputs))


def _backend_side(outputs: list[dict[str, str]]) -> list[dict[str, str]]:
    """The outputs toward the store (staging's stg-eks also sends to Datadog: tests/components/test_datadog_sink.py)."""
    return [o for o in outputs if o["Name"] != "datadog"]


def test_staging_has_one_tier_for_aws_main_and_the_fluent_bit_cluster_forwards_to_it(staging: Recording) -> None:
    found = tier(staging)
    assert found.name == "aws-main-aggregation"
    assert staging.stack_outputs["summary"]["stores"]["aws-main"]["aggregation"] == "fluentd"
    [output] = _backend_side(fluent_bit_sections(workload(staging, collectors(staging)["stg-eks"])["config"], "outputs"))
    assert output["Name"] == "forward"
    assert output["Host"] == "fluentd.logging.svc.cluster.local" and output["Port"] == "24224"
    assert (output["tls"], output["tls.verify"], output["tls.verify_hostname"]) == ("On", "On", "On")
    assert output["Shared_Key"] == "${LOGMESH_OUTPUT_SHARED_KEY}"
    assert (output["Username"], output["Password"]) == ("${LOGMESH_OUTPUT_USERNAME}", "${LOGMESH_OUTPUT_PASSWORD}")


def test_the_collector_stamps_its_labels_into_each_record_for_the_tier(staging: Recording) -> None:
    filters = fluent_bit_sections(workload(staging, collectors(staging)["stg-eks"])["config"], "filters")
    modify = next(f for f in filters if f.get("Name") == "modify")
    assert "logmesh_label_cluster stg-eks" in modify["Add"]
    assert any(f.get("Name") == "nest" and f["Nest_under"] == "labels" for f in filters)


def test_the_tier_accepts_only_tls_with_the_shared_key_and_a_user(staging: Recording) -> None:
    source = release(staging)["values"]["fileConfigs"]["01_sources.conf"]
    assert re.search(r"<transport tls>\s+cert_path /etc/logmesh/tls/tls.crt\s+private_key_path /etc/logmesh/tls/tls.key", source)
    assert "shared_key \"#{ENV['LOGMESH_FORWARD_SHARED_KEY']}\"" in source
    assert re.search(r"user_auth true\s+<user>\s+username \"#\{ENV\['LOGMESH_FORWARD_USERNAME'\]\}\"", source)


def test_the_tier_parses_mesh_access_logs_before_its_output(staging: Recording) -> None:
    # What the filters do with real lines: test_fluentd_mesh.py.
    configs = release(staging)["values"]["fileConfigs"]
    assert configs["02_filters.conf"] == fluentd_mesh_filters()
    assert sorted(configs).index("02_filters.conf") < sorted(configs).index("04_outputs.conf")


def test_the_tier_writes_to_the_backend_over_verified_tls_per_cluster(staging: Recording) -> None:
    output = release(staging)["values"]["fileConfigs"]["04_outputs.conf"]
    if "@type loki" in output:
        assert "url https://loki-gateway.logging.svc.cluster.local:443" in output
        assert "insecure_tls false" in output and "ca_cert /etc/logmesh/backend-ca/ca.crt" in output
        assert "tenant ${$.labels.cluster}" in output and "cluster $.labels.cluster" in output
    else:
        assert "scheme https" in output and "ssl_verify true" in output
        assert "index_name logs-logmesh-${$.labels.cluster}" in output and "write_operation create" in output
    assert "<buffer $.labels.cluster>" in output and "@type file" in output and "total_limit_size 19353m" in output
    assert "password \"#{ENV['LOGMESH_OUTPUT_PASSWORD']}\"" in output


def test_credentials_come_from_secrets_and_never_appear_in_values(staging: Recording) -> None:
    values = release(staging)["values"]
    env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in values["env"]}
    assert env["LOGMESH_FORWARD_SHARED_KEY"] == {"name": FORWARD_SECRET, "key": "shared_key"}
    assert env["LOGMESH_OUTPUT_PASSWORD"]["name"] in ("loki-collector-credentials", "elasticsearch-collector")
    [secret] = [r for r in descendants(staging, tier(staging)) if r.type == "kubernetes:core/v1:Secret" and r.name.endswith("credentials")]
    assert is_secret(secret.inputs["stringData"]) or is_secret(secret.inputs["stringData"]["shared_key"])
    shared_key = plain(secret.inputs)["stringData"]["shared_key"]
    collector_secret = next(r for r in descendants(staging, collectors(staging)["stg-eks"]) if r.type == "kubernetes:core/v1:Secret")
    assert plain(collector_secret.inputs)["stringData"]["shared_key"] == shared_key
    assert shared_key not in json.dumps(values)


def test_the_tier_buffers_on_a_persistent_volume_as_a_hardened_non_root_statefulset(staging: Recording) -> None:
    values = release(staging)["values"]
    assert values["kind"] == "StatefulSet" and values["replicaCount"] == 2
    assert values["persistence"] == {"enabled": True, "accessMode": "ReadWriteOnce", "size": "21Gi"}
    assert values["mountVarLogDirectory"] is False and values["rbac"] == {"create": False}
    # Rendered from the real chart (0.6.0): its probes call the metrics port, which only the chart's default sources
    # serve, and its dashboards switch is a string whose "false" is true to Helm; its ServiceAccount mounts a token.
    assert values["livenessProbe"] == values["readinessProbe"] == {"tcpSocket": {"port": "forward"}}
    assert values["dashboards"] == {"enabled": False}
    assert values["serviceAccount"] == {"create": False, "name": "fluentd"}
    [account] = [r for r in descendants(staging, tier(staging)) if r.type == "kubernetes:core/v1:ServiceAccount"]
    assert account.inputs["automountServiceAccountToken"] is False
    security = values["securityContext"]
    assert security["runAsNonRoot"] and security["readOnlyRootFilesystem"] and security["capabilities"] == {"drop": ["ALL"]}


def test_network_policies_admit_collectors_to_the_tier_and_the_tier_to_the_backend(staging: Recording) -> None:
    policies = {
        plain(r.inputs)["metadata"]["name"]: plain(r.inputs)["spec"]
        for r in descendants(staging, tier(staging))
        if r.type == "kubernetes:networking.k8s.io/v1:NetworkPolicy"
    }
    ingress = policies["collectors-to-fluentd"]["ingress"][0]
    assert ingress["ports"] == [{"port": 24224, "protocol": "TCP"}]
    assert ingress["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "collectors"}}, "podSelector": {}}]
    assert policies["fluentd-egress"]["podSelector"]["matchLabels"] == FLUENTD_SELECTOR
    assert policies["fluentd-to-backend"]["ingress"][0]["from"] == [{"podSelector": {"matchLabels": FLUENTD_SELECTOR}}]


def test_every_tier_object_validates_for_1_33(staging: Recording) -> None:
    checked = 0
    for r in descendants(staging, tier(staging)):
        if r.type.startswith("kubernetes:") and not r.type.startswith("kubernetes:helm.sh"):
            kubernetes_validate.validate(manifest(r), "1.33", strict=True)
            checked += 1
    assert checked == 7  # TLS Secret, credentials Secret, backend CA ConfigMap, ServiceAccount, three NetworkPolicies


def test_behind_a_tier_the_backend_no_longer_admits_collectors_directly(staging: Recording) -> None:
    names: dict[str, set[str]] = {}
    for r in staging.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy"):
        store = r.name.split("-netpol-")[0]
        names.setdefault(store, set()).add(plain(r.inputs)["metadata"]["name"])
    direct = {"collectors-to-loki-gateway", "collectors-to-elasticsearch"}
    assert not names["aws-main"] & direct and "fluentd-to-backend" in names["aws-main-aggregation"]
    assert names["gcp-main"] & direct


def test_the_topology_draws_the_tier_between_the_collector_and_the_backend() -> None:
    from preflight.report.topology import build_topology, mermaid

    topology = build_topology(example_recording("staging"))
    nodes = {n.label: n for n in topology.nodes}
    tier_node = nodes["FluentdAggregator aws-main-aggregation"]
    collector, backend = nodes["FluentBitCollector stg-eks"], nodes["LokiBackend aws-main"]
    assert tier_node.kind == "aggregation" and tier_node.cluster == backend.cluster
    edges = {(e.source, e.target): e.label for e in topology.edges}
    assert edges[(collector.id, tier_node.id)] == "forwards to"
    assert edges[(tier_node.id, backend.id)] == "writes to"
    assert (collector.id, backend.id) not in edges
    assert f'{tier_node.id}>"FluentdAggregator aws-main-aggregation"]' in mermaid(topology)


def test_with_an_ingest_domain_the_tier_is_published_on_an_internal_load_balancer() -> None:
    config = stack_config("staging")
    config["logmesh:ingest_domain"] = "logs.acme.internal"
    recording = run(config, "staging")
    values = release(recording)["values"]
    assert values["service"]["type"] == "LoadBalancer"
    annotations = values["service"]["annotations"]
    assert annotations["external-dns.alpha.kubernetes.io/hostname"] == "forward-aws-main.logs.acme.internal"
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"] == "internal"
    [output] = _backend_side(fluent_bit_sections(workload(recording, collectors(recording)["stg-eks"])["config"], "outputs"))
    assert output["Host"] == "forward-aws-main.logs.acme.internal"
