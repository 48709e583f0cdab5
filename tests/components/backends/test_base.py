"""Backends (Loki, ELK) on both clouds: storage wiring, identity, retention, authentication and TLS, network
policies, credential hygiene and Kubernetes 1.33 validity, on the resources as the SDK registers them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from components.backends.base import RetentionError
from components.kubernetes import POD_SECURITY_VERSION
from components.pins import ECK_OPERATOR_CHART, GRAFANA_CHART, LOKI_CHART
from preflight.record.recording import Recording
from preflight.secrets import is_secret
from tests.helpers.backend_lookups import (
    backends,
    containers_env,
    custom,
    endpoint,
    generated_credentials,
    loki_backend_recording,
    one,
    release,
    store_of,
)
from tests.helpers.backend_program import config_for, record
from tests.helpers.support import below, manifest, plain


def test_backend_service_account_carries_the_store_identity(recorded: tuple[str, str, Recording]) -> None:
    _stack, kind, recording = recorded
    account = "loki" if kind == "loki" else "elasticsearch"
    for backend in backends(recording):
        store = endpoint(recording, store_of(backend))
        sa = plain(one(recording, backend, "kubernetes:core/v1:ServiceAccount", account).inputs)
        assert sa["metadata"]["namespace"] == "logging"
        assert sa["metadata"]["annotations"] == store["annotations"]
        if kind == "loki":
            assert release(recording, backend, "loki")["values"]["serviceAccount"] == {"create": False, "name": "loki"}
            continue
        pod = custom(recording, backend, "Elasticsearch")["spec"]["nodeSets"][0]["podTemplate"]["spec"]
        assert pod["serviceAccountName"] == "elasticsearch"
        if "eks.amazonaws.com/role-arn" in store["annotations"]:
            env = {e["name"]: e["value"] for e in pod["containers"][0]["env"]}
            assert env["AWS_ROLE_ARN"] == store["identity"]
            token_dir = "/usr/share/elasticsearch/config/repository-s3"
            assert env["AWS_WEB_IDENTITY_TOKEN_FILE"] == f"{token_dir}/aws-web-identity-token-file"
            [volume] = pod["volumes"]
            assert volume["projected"]["sources"][0]["serviceAccountToken"]["audience"] == "sts.amazonaws.com"
            assert pod["containers"][0]["volumeMounts"] == [{"name": volume["name"], "mountPath": token_dir, "readOnly": True}]
        else:
            assert "volumes" not in pod and "env" not in pod["containers"][0]


# --- retention -----------------------------------------------------------------------------------------------------


def test_backend_retention_follows_the_store_and_never_outlives_the_bucket(recorded: tuple[str, str, Recording]) -> None:
    stack, kind, recording = recorded
    archive_days = config_for(stack, kind)["logmesh:retention"]["archive_days"]
    for backend in backends(recording):
        days = endpoint(recording, store_of(backend))["retention_days"]
        assert 1 <= days <= archive_days
        if kind == "loki":
            loki = release(recording, backend, "loki")["values"]["loki"]
            assert loki["limits_config"]["retention_period"] == f"{days * 24}h"
            assert loki["compactor"]["retention_enabled"] is True
            # Only retention removes logs: Loki's log deletion API (filter-and-delete by default) is off.
            assert loki["limits_config"]["deletion_mode"] == "disabled"
        else:
            setup = plain(below(recording, backend, "kubernetes:core/v1:ConfigMap")[0].inputs)["data"]
            ilm = json.loads(setup["ilm-policy.json"])["policy"]["phases"]
            assert ilm["delete"] == {"min_age": f"{days}d", "actions": {"delete": {}}}
            assert ilm["hot"]["actions"]["rollover"]["max_primary_shard_size"] == "50gb"
            assert json.loads(setup["slm-policy.json"])["retention"]["expire_after"] == f"{days}d"
            template = json.loads(setup["index-template.json"])
            assert template["template"]["settings"]["index.lifecycle.name"] == "logmesh-logs"


@pytest.mark.parametrize("kind", ["loki", "elk"])
def test_retention_numbers_move_with_the_store(kind: str, tmp_path: Path) -> None:
    config = config_for("staging", kind, **{"logmesh:retention": {"hot_days": 21, "archive_days": 120, "immutable": True}})
    recording = record(config, tmp_path)
    for backend in backends(recording):
        if kind == "loki":
            assert release(recording, backend, "loki")["values"]["loki"]["limits_config"]["retention_period"] == "504h"
        else:
            setup = plain(below(recording, backend, "kubernetes:core/v1:ConfigMap")[0].inputs)["data"]
            assert json.loads(setup["ilm-policy.json"])["policy"]["phases"]["delete"]["min_age"] == "21d"


@pytest.mark.parametrize("kind", ["loki", "elk"])
def test_a_backend_that_would_outlive_its_bucket_is_refused(kind: str, tmp_path: Path) -> None:
    config = config_for("staging", kind, **{"backendtest:retention_days": "91"})  # archive_days is 90
    with pytest.raises(RetentionError, match="never outlive its bucket") as caught:
        record(config, tmp_path)
    registered = caught.value.registrations  # type: ignore[attr-defined]
    assert not [r for r in registered if r.type.startswith(("kubernetes:helm", "kubernetes:elasticsearch"))]


# --- authentication and TLS ---------------------------------------------------------------------------------------


def test_ingest_endpoint_serves_tls_from_the_store_ca(recorded: tuple[str, str, Recording]) -> None:
    stack, kind, recording = recorded
    domain = config_for(stack, kind).get("logmesh:ingest_domain")
    for backend in backends(recording):
        store = store_of(backend)
        ep = endpoint(recording, store)
        secret_name = "loki-gateway-tls" if kind == "loki" else "elasticsearch-http-tls"
        tls_secret = plain(one(recording, backend, "kubernetes:core/v1:Secret", secret_name).inputs)
        assert tls_secret["type"] == "kubernetes.io/tls"
        assert set(tls_secret["stringData"]) == {"tls.crt", "tls.key", "ca.crt"}
        assert tls_secret["stringData"]["ca.crt"] == ep["ca_pem"]
        assert is_secret(one(recording, backend, "kubernetes:core/v1:Secret", secret_name).inputs["stringData"])
        [request] = below(recording, backend, "tls:index/certRequest:CertRequest")
        names = plain(request.inputs)["dnsNames"]
        assert ep["host"] in names
        assert (ep["host"] == f"{store}.{domain}") is (domain is not None)
        [cert] = below(recording, backend, "tls:index/locallySignedCert:LocallySignedCert")
        assert "server_auth" in plain(cert.inputs)["allowedUses"]
        if kind == "loki":
            gateway = release(recording, backend, "loki")["values"]["gateway"]
            assert gateway["nginxConfig"]["ssl"] is True
            assert "ssl_certificate /etc/nginx/tls/tls.crt;" in gateway["nginxConfig"]["serverSnippet"]
            assert {"name": "ingest-tls", "secret": {"secretName": secret_name}} in gateway["extraVolumes"]
            assert gateway["readinessProbe"]["httpGet"]["scheme"] == "HTTPS"
            assert (ep["port"], ep["path"]) == (443, "/loki/api/v1/push")
        else:
            http = custom(recording, backend, "Elasticsearch")["spec"]["http"]
            assert http["tls"] == {"certificate": {"secretName": secret_name}}
            assert (ep["port"], ep["path"]) == (9200, "")
            # Kibana keeps ECK's default HTTP TLS: nothing turns it off.
            assert "selfSignedCertificate" not in json.dumps(custom(recording, backend, "Kibana")["spec"])


def test_namespaces_enforce_the_restricted_pod_security_standard(recorded: tuple[str, str, Recording]) -> None:
    _stack, kind, recording = recorded
    for backend in backends(recording):
        namespaces = [plain(r.inputs)["metadata"] for r in below(recording, backend, "kubernetes:core/v1:Namespace")]
        assert {n["name"] for n in namespaces} == ({"logging"} if kind == "loki" else {"logging", "elastic-system"})
        for namespace in namespaces:
            for mode in ("enforce", "audit", "warn"):
                assert namespace["labels"][f"pod-security.kubernetes.io/{mode}"] == "restricted"
                assert namespace["labels"][f"pod-security.kubernetes.io/{mode}-version"] == POD_SECURITY_VERSION


# --- credential hygiene ------------------------------------------------------------------------------------------


def test_no_credential_in_helm_values_configmaps_or_environment(recorded: tuple[str, str, Recording]) -> None:
    _stack, _kind, recording = recorded
    credentials = generated_credentials(recording)
    assert len(credentials) >= 4
    in_secrets = json.dumps([plain(r.inputs) for r in recording.of_type("kubernetes:core/v1:Secret")])
    # The scan can fail: every generated password is in some Kubernetes Secret.
    for r in recording.of_type("random:index/randomPassword:RandomPassword"):
        assert plain(r.outputs)["result"] in in_secrets
    exposed: list[tuple[str, Any]] = []
    for r in recording.resources:
        inputs = plain(r.inputs)
        if r.type == "kubernetes:helm.sh/v3:Release":
            exposed.append((r.name, inputs["values"]))
        elif r.type == "kubernetes:core/v1:ConfigMap":
            exposed.append((r.name, inputs.get("data")))
        if r.type.startswith("kubernetes:"):
            exposed.append((r.name, containers_env(inputs)))
    for name, value in exposed:
        text = json.dumps(value)
        for credential in credentials:
            assert credential not in text, name
    # Secrets holding a credential stay marked secret on the wire, so the engine encrypts them in state.
    for r in recording.of_type("kubernetes:core/v1:Secret"):
        if any(credential in json.dumps(plain(r.inputs)) for credential in credentials):
            assert is_secret(r.inputs["stringData"]), r.name


# --- Kubernetes validity ------------------------------------------------------------------------------------------


def test_every_core_kubernetes_object_validates_for_1_33(recorded: tuple[str, str, Recording]) -> None:
    _stack, kind, recording = recorded
    checked = 0
    for r in recording.resources:
        if not r.type.startswith("kubernetes:") or r.type.startswith(("kubernetes:helm.sh", "pulumi:")):
            continue
        if r.type.split(":")[1].split("/")[0] in ("elasticsearch.k8s.elastic.co", "kibana.k8s.elastic.co"):
            continue
        kubernetes_validate.validate(manifest(r), "1.33", strict=True)
        checked += 1
    assert checked >= (10 if kind == "loki" else 14)


def test_validation_catches_a_bad_object() -> None:
    recording = loki_backend_recording("dev")
    [policy] = [
        r for r in recording.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy") if r.inputs["metadata"]["name"] == "default-deny"
    ]
    broken = manifest(policy)
    broken["spec"]["policyTypes"] = "Ingress"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.33", strict=True)


# --- charts, sizing, topology -----------------------------------------------------------------------------------


def test_charts_are_pinned_to_the_researched_versions(recorded: tuple[str, str, Recording]) -> None:
    _stack, kind, recording = recorded
    expected = [LOKI_CHART, GRAFANA_CHART] if kind == "loki" else [ECK_OPERATOR_CHART]
    for backend in backends(recording):
        releases = [plain(r.inputs) for r in below(recording, backend, "kubernetes:helm.sh/v3:Release")]
        assert sorted((r["chart"], r["version"], r["repositoryOpts"]["repo"]) for r in releases) == sorted(
            (c.name, c.version, c.repo) for c in expected
        )
        assert (LOKI_CHART.version, GRAFANA_CHART.version, ECK_OPERATOR_CHART.version) == ("18.11.0", "12.11.1", "3.5.0")
        assert LOKI_CHART.repo == "https://grafana-community.github.io/helm-charts"
