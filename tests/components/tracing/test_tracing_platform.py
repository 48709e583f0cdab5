"""With logmesh:tracing, every store gets Jaeger v2 beside its backend and every meshed cluster sends it spans over
mutual TLS; Grafana links logs and traces both ways. Asserted on the example stacks' recorded resources."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.pins import JAEGER_CHART, JAEGER_IMAGE
from preflight.record.recording import Recording, Registration
from tests.helpers.harness import elk_recording, example_recording, stack_config
from tests.helpers.support import below, plain, provider_name

RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"
RULE = "kubernetes:networking.istio.io/v1:DestinationRule"


def tracing_components(recording: Recording) -> dict[str, Registration]:
    return {r.name.removesuffix("-tracing"): r for r in recording.of_type("logmesh:tracing:JaegerTracing")}


def jaeger_release(recording: Recording, component: Registration) -> dict[str, Any]:
    [release] = [r for r in below(recording, component, RELEASE)]
    return plain(release.inputs)  # type: ignore[no-any-return]


@pytest.mark.parametrize("backend", ["loki", "elk"])
def test_every_store_runs_the_pinned_jaeger_v2_chart_with_tls_receivers(backend: str) -> None:
    recording = example_recording("prod") if backend == "loki" else elk_recording("prod")
    stores = {s["name"] for s in stack_config("prod")["logmesh:stores"]}
    components = tracing_components(recording)
    assert set(components) == stores
    for component in components.values():
        release = jaeger_release(recording, component)
        assert (release["chart"], release["version"]) == (JAEGER_CHART.name, JAEGER_CHART.version)
        config = release["values"]["userconfig"]
        for protocol in ("grpc", "http"):
            assert config["receivers"]["otlp"]["protocols"][protocol]["tls"]["client_ca_file"]
        assert config["receivers"]["zipkin"]["tls"]["client_ca_file"]
        storage = config["extensions"]["jaeger_storage"]["backends"]["primary"]
        assert list(storage) == (["badger"] if backend == "loki" else ["elasticsearch"])
        # The store's endpoints are published (ingest_domain): the receivers get their own load balancer name.
        service = release["values"]["jaeger"]["service"]
        assert service["type"] == "LoadBalancer"
        assert service["annotations"]["external-dns.alpha.kubernetes.io/hostname"].endswith("-traces.logs.acme.internal")


def test_badger_volume_is_encrypted_with_the_stores_key() -> None:
    recording = example_recording("prod")
    classes = recording.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    assert {c.inputs["provisioner"] for c in classes} == {"ebs.csi.aws.com", "pd.csi.storage.gke.io"}
    for storage_class in classes:
        parameters = storage_class.inputs["parameters"]
        assert parameters.get("encrypted", "true") == "true"
        assert parameters.get("kmsKeyId") or parameters.get("disk-encryption-kms-key")


def test_meshed_clusters_hold_a_client_certificate_signed_by_their_stores_tracing_ca() -> None:
    recording = example_recording("prod")
    config = stack_config("prod")
    cas = {
        r.urn: plain(r.outputs)["certPem"] for r in recording.of_type("tls:index/selfSignedCert:SelfSignedCert") if "-tracing-ca" in r.name
    }
    assert len(cas) == 2
    for cluster in config["logmesh:clusters"]:
        secrets = [
            s
            for s in recording.of_type(SECRET)
            if provider_name(s) == f"{cluster['name']}-k8s" and s.inputs["metadata"]["name"] == "jaeger-client-tls"
        ]
        assert secrets, cluster["name"]
        for client in secrets:
            data = plain(client.inputs)["stringData"]
            assert data["ca.crt"] in cas.values() and data["tls.crt"] and data["tls.key"]
            assert client.inputs["type"] == "kubernetes.io/tls"
        rules = [r for r in recording.of_type(RULE) if provider_name(r) == f"{cluster['name']}-k8s"]
        if cluster["mesh"] == "istio":
            [rule] = rules
            [port] = rule.inputs["spec"]["trafficPolicy"]["portLevelSettings"]
            assert port["tls"]["mode"] == "MUTUAL" and port["tls"]["credentialName"] == "jaeger-client-tls"
            assert port["tls"]["sni"] == rule.inputs["spec"]["host"]
        else:
            assert rules == [] and [s.inputs["metadata"]["namespace"] for s in secrets] == ["linkerd-jaeger"]


def test_grafana_links_access_logs_to_traces_and_back() -> None:
    recording = example_recording("prod")
    datasources = [s for s in recording.of_type(SECRET) if s.inputs["metadata"]["name"] == "grafana-datasource-loki"]
    assert len(datasources) == 2
    for secret in datasources:
        loki, jaeger = json.loads(plain(secret.inputs)["stringData"]["loki.yaml"])["datasources"]
        [derived] = loki["jsonData"]["derivedFields"]
        assert (derived["matcherType"], derived["matcherRegex"], derived["datasourceUid"]) == ("label", "trace_id", jaeger["uid"])
        assert derived["url"] == "$${__value.raw}"
        assert jaeger["type"] == "jaeger" and jaeger["url"].startswith("https://jaeger.logging.svc")
        back = jaeger["jsonData"]["tracesToLogsV2"]
        assert back["datasourceUid"] == loki["uid"] and "$${__trace.traceId}" in back["query"]
        assert jaeger["secureJsonData"]["tlsCACert"].startswith("-----BEGIN CERTIFICATE-----") or jaeger["secureJsonData"]["tlsCACert"]


def test_without_tracing_nothing_of_it_is_built() -> None:
    from tests.helpers.harness import run

    config = stack_config("dev")
    del config["logmesh:tracing"]
    recording = run(config)
    assert [r for r in recording.resources if r.type.startswith("logmesh:tracing:")] == []
    assert recording.of_type(RULE) == []


def test_elk_gives_jaeger_its_own_least_privilege_user_and_archives_spans_with_the_logs() -> None:
    recording = elk_recording("prod")
    roles_secret = next(s for s in recording.of_type(SECRET) if s.inputs["metadata"]["name"] == "elasticsearch-roles")
    roles = json.loads(plain(roles_secret.inputs)["stringData"]["roles.yml"])
    [indices] = roles["logmesh_traces"]["indices"]
    assert indices["names"] == ["logmesh-traces-jaeger-*"] and "all" not in indices["privileges"]
    users = [s for s in recording.of_type(SECRET) if s.inputs["metadata"]["name"] == "elasticsearch-jaeger"]
    assert users and all(plain(u.inputs)["stringData"]["roles"] == "logmesh_traces" for u in users)
    for es in recording.of_type("kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch"):
        assert {"secretName": "elasticsearch-jaeger"} in es.inputs["spec"]["auth"]["fileRealm"]
    for config in recording.of_type("kubernetes:core/v1:ConfigMap"):
        slm = plain(config.inputs).get("data", {}).get("slm-policy.json")
        if slm:
            assert "logmesh-traces-jaeger-*" in json.loads(slm)["config"]["indices"]


def setup_data(recording: Recording) -> list[dict[str, str]]:
    """The data of each ES setup Job's ConfigMap (the files the Job PUTs and imports)."""
    found = [plain(c.inputs)["data"] for c in recording.of_type("kubernetes:core/v1:ConfigMap")]
    return [d for d in found if "kibana-saved-objects.ndjson" in d]


def setup_pods(recording: Recording) -> list[dict[str, Any]]:
    """The pod spec of each ES setup Job, one per ELK store (two in prod)."""
    pods = [plain(j.inputs)["spec"]["template"]["spec"] for j in recording.of_type("kubernetes:batch/v1:Job") if "es-setup" in j.name]
    assert len(pods) == len(setup_data(recording)) == 2
    return pods


def test_kibana_links_the_access_log_trace_id_to_the_stores_jaeger() -> None:
    recording = elk_recording("prod")
    datas = setup_data(recording)
    assert len(datas) == len(tracing_components(recording)) == 2
    for data in datas:
        objects = [json.loads(line) for line in data["kibana-saved-objects.ndjson"].splitlines()]
        [logs] = [o for o in objects if o["type"] == "index-pattern" and o["id"] == "logmesh-logs"]
        formats = json.loads(logs["attributes"]["fieldFormatMap"])
        link = formats["trace_id"]
        assert link["id"] == "url"
        assert link["params"]["urlTemplate"] == "https://jaeger.logging.svc.cluster.local:16686/trace/{{value}}"
        # The alert history has no trace ids.
        [alerts] = [o for o in objects if o["id"] == "logmesh-alert-history"]
        assert "fieldFormatMap" not in alerts["attributes"]


def test_without_tracing_the_kibana_data_view_has_no_trace_link() -> None:
    from components.dashboards.kibana import saved_objects

    [logs] = [o for o in saved_objects("") if o["id"] == "logmesh-logs"]
    assert "fieldFormatMap" not in logs["attributes"]


def ebs_statements(recording: Recording) -> list[list[dict[str, Any]]]:
    """Per AWS key, the key policy statements that let EBS (the CSI driver's volumes) use it."""
    found = []
    for key in recording.of_type("aws:kms/key:Key"):
        policy = json.loads(plain(key.inputs)["policy"])
        found.append([s for s in policy["Statement"] if s["Sid"].startswith("EbsVolumes")])
    return found


def compute_agent_grants(recording: Recording) -> list[Registration]:
    return [g for g in recording.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember") if "compute-system" in str(plain(g.inputs))]


def test_badger_volume_key_is_usable_by_the_disk_services_only_through_them() -> None:
    recording = example_recording("prod")  # Loki: spans in Badger on a volume encrypted with the store's key
    [statements] = ebs_statements(recording)
    stores = {s["cloud"]: s for s in stack_config("prod")["logmesh:stores"]}
    aws_store, gcp_store = stores["aws"], stores["gcp"]
    assert statements
    for statement in statements:
        # Through EC2 in the store's region only; the account root delegates to the CSI driver's IAM role.
        assert statement["Principal"] == {"AWS": f"arn:aws:iam::{aws_store['account_id']}:root"}
        assert statement["Condition"]["StringEquals"] == {
            "kms:ViaService": f"ec2.{aws_store['region']}.amazonaws.com",
            "kms:CallerAccount": aws_store["account_id"],
        }
        assert "kms:*" not in statement["Action"] and not any(a.startswith(("kms:Put", "kms:Schedule")) for a in statement["Action"])
    grant = next(s for s in statements if "kms:CreateGrant" in s["Action"])
    assert grant["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    assert {a for s in statements for a in s["Action"]} >= {"kms:CreateGrant", "kms:GenerateDataKeyWithoutPlaintext", "kms:Decrypt"}
    [grant_gcp] = compute_agent_grants(recording)
    inputs = plain(grant_gcp.inputs)
    assert inputs["member"] == f"serviceAccount:service-{gcp_store['project_number']}@compute-system.iam.gserviceaccount.com"
    assert inputs["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    # On the store's key, as the Cloud Storage agent's grant is.
    [gcs_agent] = [g for g in recording.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember") if g.name.endswith("-key-gcs-agent")]
    assert inputs["cryptoKeyId"] == plain(gcs_agent.inputs)["cryptoKeyId"]


def test_without_badger_no_disk_service_may_use_the_key() -> None:
    recording = elk_recording("prod")  # spans in Elasticsearch: no Badger volume
    assert ebs_statements(recording) == [[]] and compute_agent_grants(recording) == []


def test_elk_span_indices_are_deleted_by_ilm_after_the_hot_days() -> None:
    recording = elk_recording("prod")
    hot_days = stack_config("prod")["logmesh:retention"]["hot_days"]
    for data in setup_data(recording):
        # Daily span indices: deleted a day after hot_days from their creation, so each span stays at least hot_days.
        policy = json.loads(data["trace-ilm-policy.json"])["policy"]
        assert policy["phases"]["delete"] == {"min_age": f"{hot_days + 1}d", "actions": {"delete": {}}}
        assert "rollover" not in json.dumps(policy)  # time-based indices, no write alias to roll
        script = data["setup.sh"]
        assert "put _ilm/policy/logmesh-traces trace-ilm-policy.json" in script
        assert script.index("_ilm/policy/logmesh-traces") < script.index("_index_template/logmesh-traces-$mapping")
        # Jaeger's own templates, rendered by its own generator, name the policy.
        mappings = data["trace-mappings.sh"]
        for flag in ("--use-ilm true", "--ilm-policy-name logmesh-traces", "--index-prefix logmesh-traces", "--es-version 8"):
            assert flag in mappings
        assert "jaeger-span jaeger-service" in mappings and "jaeger-span jaeger-service" in script
    for pod in setup_pods(recording):
        [init] = pod["initContainers"]
        assert init["image"] == JAEGER_IMAGE == "jaegertracing/jaeger:2.19.0"
        assert init["command"] == ["/bin/sh", "/etc/logmesh/trace-mappings.sh"]
        assert init["securityContext"]["readOnlyRootFilesystem"] and init["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    for component in tracing_components(recording).values():
        es = jaeger_release(recording, component)["values"]["userconfig"]["extensions"]["jaeger_storage"]["backends"]["primary"]
        # The Job installs the templates; Jaeger would overwrite them (without the policy) on every start.
        assert es["elasticsearch"]["create_mappings"] is False
    roles_secret = next(s for s in recording.of_type(SECRET) if s.inputs["metadata"]["name"] == "elasticsearch-roles")
    assert json.loads(plain(roles_secret.inputs)["stringData"]["roles.yml"])["logmesh_traces"]["cluster"] == ["monitor"]


def test_the_template_renderer_sees_no_password() -> None:
    for pod in setup_pods(elk_recording("prod")):
        [init] = pod["initContainers"]
        assert [m["name"] for m in init["volumeMounts"]] == ["setup", "tmp"]
