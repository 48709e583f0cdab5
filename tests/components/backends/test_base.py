"""Backends (Loki, ELK) on both clouds: storage wiring, identity, retention, authentication and TLS, network
policies, credential hygiene and Kubernetes 1.33 validity, on the resources as the SDK registers them."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from components.backends.base import RetentionError
from components.backends.gateway import loki_gateway_access_map
from components.backends.loki_sizing import loki_sizing
from components.kubernetes import POD_SECURITY_VERSION
from components.pins import ECK_OPERATOR_CHART, GRAFANA_CHART, LOKI_CHART
from preflight.recorder import Recording, Registration
from preflight.secrets import is_secret
from tests.helpers.backend_program import config_for, record
from tests.support import below, descendants, plain

STACKS = ("dev", "staging", "prod")
VARIANTS = [(stack, backend) for backend in ("loki", "elk") for stack in STACKS]
_cache: dict[tuple[str, str], Recording] = {}


def _recorded(key: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Recording]:
    """Each example stack with each backend, its stores as plain values, recorded once."""
    if key not in _cache:
        _cache[key] = record(config_for(*key), tmp_path_factory.mktemp("backend"))
    return key[0], key[1], _cache[key]


@pytest.fixture(params=VARIANTS, ids=[f"{s}-{b}" for s, b in VARIANTS])
def recorded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Recording]:
    return _recorded(request.param, tmp_path_factory)


@pytest.fixture(params=STACKS)
def loki_recorded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Recording]:
    return _recorded((request.param, "loki"), tmp_path_factory)


@pytest.fixture(params=STACKS)
def elk_recorded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Recording]:
    return _recorded((request.param, "elk"), tmp_path_factory)


def _loki(stack: str) -> Recording:
    if (stack, "loki") not in _cache:
        _cache[(stack, "loki")] = record(config_for(stack, "loki"), Path(_tmp()))
    return _cache[(stack, "loki")]


def _elk(stack: str) -> Recording:
    if (stack, "elk") not in _cache:
        _cache[(stack, "elk")] = record(config_for(stack, "elk"), Path(_tmp()))
    return _cache[(stack, "elk")]


def _tmp() -> str:
    return tempfile.mkdtemp(prefix="logmesh-backend-")


# --- helpers -------------------------------------------------------------------------------------------------


def backends(recording: Recording) -> list[Registration]:
    return [r for r in recording.resources if r.type.startswith("logmesh:backends:")]


def store_of(backend: Registration) -> str:
    return backend.name


def one(recording: Recording, backend: Registration, type_: str, name: str) -> Registration:
    found = [r for r in below(recording, backend, type_) if plain(r.inputs).get("metadata", {}).get("name") == name or r.name == name]
    assert len(found) == 1, (type_, name, [r.name for r in below(recording, backend, type_)])
    return found[0]


def release(recording: Recording, backend: Registration, chart: str) -> dict[str, Any]:
    found = [plain(r.inputs) for r in below(recording, backend, "kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == chart]
    assert len(found) == 1
    return found[0]


def endpoint(recording: Recording, store: str) -> dict[str, Any]:
    return plain(recording.stack_outputs["endpoints"])[store]


def custom(recording: Recording, backend: Registration, kind: str) -> dict[str, Any]:
    found = [plain(r.inputs) for r in descendants(recording, backend) if r.type.endswith(f":{kind}") and r.custom]
    assert len(found) == 1, kind
    return found[0]


def policies(recording: Recording, backend: Registration) -> dict[str, dict[str, Any]]:
    found = below(recording, backend, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
    return {plain(r.inputs)["metadata"]["name"]: plain(r.inputs)["spec"] for r in found}


def secret_data(recording: Recording, backend: Registration, name: str) -> dict[str, str]:
    return plain(one(recording, backend, "kubernetes:core/v1:Secret", name).inputs)["stringData"]


def generated_credentials(recording: Recording) -> set[str]:
    """Every password, password hash and private key the program generated (the provider outputs)."""
    found = set()
    for r in recording.resources:
        if r.type == "random:index/randomPassword:RandomPassword":
            found |= {plain(r.outputs)["result"], plain(r.outputs)["bcryptHash"]}
        if r.type == "tls:index/privateKey:PrivateKey":
            found.add(plain(r.outputs)["privateKeyPem"])
    return found


def containers_env(value: Any) -> list[Any]:
    """Every `env` list anywhere in a manifest (pod specs, pod templates, custom resources, Helm values)."""
    found: list[Any] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("env", "extraEnv") and isinstance(item, list):
                found.append(item)
            found += containers_env(item)
    elif isinstance(value, list):
        for item in value:
            found += containers_env(item)
    return found


# --- storage wiring and identity -------------------------------------------------------------------------------


def test_loki_writes_to_the_store_bucket_with_its_key_and_region(loki_recorded: tuple[str, str, Recording]) -> None:
    _stack, _kind, recording = loki_recorded
    for backend in backends(recording):
        store = endpoint(recording, store_of(backend))
        loki = release(recording, backend, "loki")["values"]["loki"]
        storage = loki["storage"]
        assert storage["bucketNames"] == {"chunks": store["bucket"], "ruler": store["bucket"]}
        [schema] = loki["schemaConfig"]["configs"]
        assert (schema["store"], schema["schema"], schema["index"]["period"]) == ("tsdb", "v13", "24h")
        if store["key"].startswith("arn:aws:kms:"):
            assert storage["type"] == schema["object_store"] == loki["compactor"]["delete_request_store"] == "s3"
            assert storage["s3"] == {"region": store["region"], "sse": {"type": "SSE-KMS", "kms_key_id": store["key"]}}
        else:
            # GCS: Loki has no KMS setting; the bucket's default CMEK encrypts, and no S3 block lingers.
            assert storage["type"] == schema["object_store"] == loki["compactor"]["delete_request_store"] == "gcs"
            assert "s3" not in storage


def test_elasticsearch_snapshots_to_the_store_bucket_without_sse_override(elk_recorded: tuple[str, str, Recording]) -> None:
    _stack, _kind, recording = elk_recorded
    for backend in backends(recording):
        store = endpoint(recording, store_of(backend))
        setup = plain(below(recording, backend, "kubernetes:core/v1:ConfigMap")[0].inputs)["data"]
        repository = json.loads(setup["snapshot-repository.json"])
        assert repository["settings"]["bucket"] == store["bucket"]
        assert repository["settings"]["base_path"] == f"elasticsearch/{store_of(backend)}"
        # server_side_encryption would send SSE-S3 and override the bucket's SSE-KMS default.
        assert "server_side_encryption" not in repository["settings"]
        es = custom(recording, backend, "Elasticsearch")["spec"]["nodeSets"][0]
        if store["key"].startswith("arn:aws:kms:"):
            assert repository["type"] == "s3"
            assert es["config"]["s3.client.default.endpoint"] == f"s3.{store['region']}.amazonaws.com"
        else:
            assert repository["type"] == "gcs"
            assert not any(k.startswith("s3.") for k in es["config"])


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
    exposed = "logmesh:ingest_domain" in config_for(stack, kind)
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
        assert (ep["host"] == f"{store}.logs.acme.internal") is exposed
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


def test_loki_authenticates_every_writer_and_reader(loki_recorded: tuple[str, str, Recording]) -> None:
    stack, kind, recording = loki_recorded
    for backend in backends(recording):
        ep = endpoint(recording, store_of(backend))
        values = release(recording, backend, "loki")["values"]
        assert values["loki"]["auth_enabled"] is True
        assert values["gateway"]["basicAuth"] == {"enabled": True, "existingSecret": "loki-gateway-htpasswd"}
        htpasswd = secret_data(recording, backend, "loki-gateway-htpasswd")[".htpasswd"]
        passwords = {r.name: plain(r.outputs) for r in below(recording, backend, "random:index/randomPassword:RandomPassword")}
        collector = passwords[f"{store_of(backend)}-collector-password"]
        grafana = passwords[f"{store_of(backend)}-grafana-password"]
        assert htpasswd == f"collector:{collector['bcryptHash']}\ngrafana:{grafana['bcryptHash']}\n"
        assert ep["password"] == collector["result"] and ep["username"] == "collector"
        # The endpoint's password stays a secret on the wire.
        assert ep["password_is_secret"] is True
        # One tenant per cluster; the gateway lets the collector push only as one of them.
        tenants = [c["name"] for c in config_for(stack, kind)["logmesh:clusters"] if _ships_to(stack, c, store_of(backend))]
        assert ep["tenants"] == tenants
        assert values["gateway"]["nginxConfig"]["httpSnippet"] == loki_gateway_access_map(tenants)
        assert values["gateway"]["nginxConfig"]["locationSnippet"] == "if ($logmesh_forbidden) { return 403; }"


def _ships_to(stack: str, cluster: dict[str, Any], store: str) -> bool:
    stores = config_for(stack, "loki")["logmesh:stores"]
    if "store" in cluster:
        return bool(cluster["store"] == store)
    return [s["name"] for s in stores if s["cloud"] == cluster["cloud"]] == [store]


def nginx_map_value(text: str, key: str) -> str:
    """What an nginx `map` gives for `key`: an exact string first, then the regular expressions in order, then the
    default (nginx `map` semantics; PCRE and Python agree on the anchors and literals used here)."""
    entries: list[tuple[str, str]] = []
    for line in text.splitlines()[1:-1]:
        left, value = line.strip().rstrip(";").rsplit(" ", 1)
        entries.append((json.loads(left) if left.startswith('"') else left, value))
    default = dict(entries).pop("default")
    exact = {k: v for k, v in entries if k != "default" and not k.startswith("~")}
    if key in exact:
        return exact[key]
    return next((v for k, v in entries if k.startswith("~") and re.search(k[1:], key)), default)


def test_gateway_access_map_limits_the_collector_to_pushing_its_tenants() -> None:
    text = loki_gateway_access_map(["a", "b"])
    assert text.startswith('map "$remote_user:$uri:$http_x_scope_orgid" $logmesh_forbidden {\n  default 1;\n')
    assert text.endswith("}\n")
    allowed = {
        "collector:/loki/api/v1/push:a",
        "collector:/loki/api/v1/push:b",
        ":/:",  # the unauthenticated health check
        "grafana:/loki/api/v1/query_range:a|b",
        "grafana:/loki/api/v1/labels:a|b",
        "grafana:/loki/api/v1/label/namespace/values:a|b",
        "grafana:/loki/api/v1/series:a|b",
        "grafana:/loki/api/v1/index/stats:a|b",
        "grafana:/loki/api/v1/tail:a",
        "grafana:/loki/api/v1/status/buildinfo:",
        "grafana:/loki/api/v1/rules:a",
        "grafana:/prometheus/api/v1/rules:a",
        "grafana:/prometheus/api/v1/alerts:a",
    }
    refused = {
        "collector:/loki/api/v1/push:c",  # not one of the store's tenants
        "collector:/loki/api/v1/push:a|b",
        "collector:/loki/api/v1/push:",
        "collector:/loki/api/v1/query_range:a",
        "collector:/flush:",
        "grafana:/loki/api/v1/push:a",
        # Operations, not reading: a log deletion request, cache generations, flushing or stopping an ingester.
        "grafana:/loki/api/v1/delete:a",
        "grafana:/loki/api/v1/cache/generation_numbers:a",
        "grafana:/flush:",
        "grafana:/ingester/shutdown:",
        "grafana:/config:",
        "grafana:/memberlist:",
        "grafana:/ring:",
        "grafana:/compactor/ring:",
        "grafana:/:",
        "admin:/loki/api/v1/query_range:a",
        ":/loki/api/v1/push:a",
    }
    assert {key for key in allowed | refused if nginx_map_value(text, key) == "0"} == allowed


def test_grafana_queries_every_tenant_through_a_secret_datasource(loki_recorded: tuple[str, str, Recording]) -> None:
    _stack, _kind, recording = loki_recorded
    for backend in backends(recording):
        ep = endpoint(recording, store_of(backend))
        datasource = one(recording, backend, "kubernetes:core/v1:Secret", "grafana-datasource-loki")
        [source] = json.loads(plain(datasource.inputs)["stringData"]["loki.yaml"])["datasources"]
        reader = next(
            plain(r.outputs)["result"]
            for r in below(recording, backend, "random:index/randomPassword:RandomPassword")
            if r.name.endswith("-grafana-password")
        )
        assert source["url"] == "https://loki-gateway.logging.svc.cluster.local"
        assert source["jsonData"] == {"tlsAuthWithCACert": True, "httpHeaderName1": "X-Scope-OrgID"}
        assert source["secureJsonData"] == {
            "basicAuthPassword": reader,
            "tlsCACert": ep["ca_pem"],
            "httpHeaderValue1": "|".join(ep["tenants"]),
        }
        loki = release(recording, backend, "loki")["values"]["loki"]
        assert loki["querier"]["multi_tenant_queries_enabled"] is True
        grafana = release(recording, backend, "grafana")["values"]
        # Grafana reads its datasource from the Secret mounted as a provisioning file; it has no Kubernetes API
        # access at all (no sidecar, no Role that could read the namespace's other Secrets, no token).
        assert grafana["extraSecretMounts"] == [
            {
                "name": "datasources",
                "secretName": "grafana-datasource-loki",
                "mountPath": "/etc/grafana/provisioning/datasources",
                "readOnly": True,
                "defaultMode": 0o440,
            }
        ]
        assert grafana["rbac"]["create"] is False and grafana["automountServiceAccountToken"] is False
        assert "sidecar" not in grafana
        assert grafana["admin"]["existingSecret"] == "grafana-admin"
        assert "datasources" not in grafana


def test_elasticsearch_security_stays_on_and_collectors_get_a_write_only_user(elk_recorded: tuple[str, str, Recording]) -> None:
    _stack, _kind, recording = elk_recorded
    for backend in backends(recording):
        ep = endpoint(recording, store_of(backend))
        spec = custom(recording, backend, "Elasticsearch")["spec"]
        dumped = json.dumps(spec)
        assert "xpack.security.enabled" not in dumped and '"disabled": true' not in dumped
        assert spec["auth"] == {"roles": [{"secretName": "elasticsearch-roles"}], "fileRealm": [{"secretName": "elasticsearch-collector"}]}
        user = one(recording, backend, "kubernetes:core/v1:Secret", "elasticsearch-collector")
        assert user.inputs["type"] == "kubernetes.io/basic-auth"
        assert plain(user.inputs)["stringData"] == {"username": "collector", "password": ep["password"], "roles": "logmesh_writer"}
        roles = json.loads(secret_data(recording, backend, "elasticsearch-roles")["roles.yml"])
        assert roles["logmesh_writer"]["indices"] == [{"names": ["logs-logmesh-*"], "privileges": ["create_doc", "auto_configure"]}]
        assert ep["index_prefix"] == "logs-logmesh-"


def test_es_setup_job_reads_the_elastic_password_from_a_mounted_secret() -> None:
    recording = _elk("prod")
    for backend in backends(recording):
        job = plain(below(recording, backend, "kubernetes:batch/v1:Job")[0].inputs)
        pod = job["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["es-user"]["secret"]["secretName"] == "logmesh-es-elastic-user"
        assert "env" not in pod["containers"][0] and "envFrom" not in pod["containers"][0]
        script = plain(below(recording, backend, "kubernetes:core/v1:ConfigMap")[0].inputs)["data"]["setup.sh"]
        assert "--netrc-file /tmp/netrc" in script and "/etc/es-user/elastic" in script
        for path in (
            "_ilm/policy/logmesh-logs",
            "_index_template/logmesh-logs",
            "_snapshot/logmesh-archive",
            "_slm/policy/logmesh-nightly",
        ):
            assert f"put {path} " in script
        assert (
            volumes["setup"]["configMap"]["name"]
            == plain(below(recording, backend, "kubernetes:core/v1:ConfigMap")[0].outputs)["metadata"]["name"]
        )


# --- network policies and pod security --------------------------------------------------------------------------


def test_logging_namespace_denies_by_default_and_allows_only_named_paths(recorded: tuple[str, str, Recording]) -> None:
    stack, kind, recording = recorded
    exposed = "logmesh:ingest_domain" in config_for(stack, kind)
    for backend in backends(recording):
        found = policies(recording, backend)
        assert found["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        dns = found["allow-dns"]
        assert dns["podSelector"] == {} and dns["policyTypes"] == ["Egress"]
        [rule] = dns["egress"]
        assert {(p["protocol"], p["port"]) for p in rule["ports"]} == {("UDP", 53), ("TCP", 53)}
        assert rule["to"][0]["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}
        ingest = found["collectors-to-loki-gateway" if kind == "loki" else "collectors-to-elasticsearch"]
        [rule] = ingest["ingress"]
        assert [p["port"] for p in rule["ports"]] == [8080 if kind == "loki" else 9200]
        local = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "collectors"}}, "podSelector": {}}
        anywhere = [{"ipBlock": {"cidr": "0.0.0.0/0"}}, {"ipBlock": {"cidr": "::/0"}}]
        # Published on the internal load balancer, collectors of other clusters arrive from addresses the cluster
        # cannot know: any source, gated by TLS and a password. Otherwise only the local collectors' namespace.
        assert rule["from"] == ([local, *anywhere] if exposed else [local])
        storage = found["loki-object-storage" if kind == "loki" else "elasticsearch-object-storage"]
        assert storage["policyTypes"] == ["Egress"]
        assert storage["egress"][0] == {"ports": [{"port": 443, "protocol": "TCP"}]}
        if kind == "loki":
            assert found["grafana-to-loki-gateway"]["ingress"][0]["from"] == [
                {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": "grafana"}}}
            ]
        else:
            sources = found["clients-to-elasticsearch"]["ingress"][0]["from"]
            assert {"podSelector": {"matchLabels": {"kibana.k8s.elastic.co/name": "logmesh"}}} in sources
        for name, spec in found.items():
            if name != "default-deny":
                assert spec.get("ingress") or spec.get("egress"), name


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


def manifest(registration: Registration) -> dict[str, Any]:
    """The object as the provider would send it, rebuilt from the registered inputs (auto-names from outputs)."""
    group_version, kind = registration.type.removeprefix("kubernetes:").rsplit(":", 1)
    api_version = group_version.removeprefix("core/")
    obj = {k: v for k, v in plain(registration.inputs).items() if k not in ("apiVersion", "kind")}
    obj["metadata"] = {**obj.get("metadata", {}), "name": registration.outputs["metadata"]["name"]}
    return {"apiVersion": api_version, "kind": kind, **obj}


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
    recording = _loki("dev")
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


def test_loki_topology_follows_the_environment_and_grafana_tiers() -> None:
    dev = release(_loki("dev"), backends(_loki("dev"))[0], "loki")["values"]
    assert dev["deploymentMode"] == "Monolithic" and dev["singleBinary"]["replicas"] == 1
    assert dev["loki"]["commonConfig"]["replication_factor"] == 1
    prod = release(_loki("prod"), backends(_loki("prod"))[0], "loki")["values"]
    assert prod["deploymentMode"] == "Distributed"
    assert prod["loki"]["commonConfig"]["replication_factor"] == 3
    assert prod["loki"]["ingester"]["wal"]["enabled"] is True
    assert prod["ingester"]["persistence"]["enabled"] is True
    # The chart's claims list is replaced, not merged, and rendered field by field (loki 18.11.0 _workload.tpl):
    # the WAL's claim must name its access modes and size itself.
    assert prod["ingester"]["persistence"]["claims"] == [{"name": "data", "accessModes": ["ReadWriteOnce"], "size": "50Gi"}]
    assert (prod["ingester"]["replicas"], prod["distributor"]["replicas"], prod["querier"]["replicas"]) == (6, 4, 10)
    assert prod["singleBinary"]["replicas"] == 0 and prod["write"]["replicas"] == 0


def test_loki_sizing_tiers() -> None:
    small, large = loki_sizing("prod", 2999), loki_sizing("prod", 3000)
    assert (small.replicas["ingester"], small.ingester_memory) == (6, "4Gi")
    assert (large.replicas["ingester"], large.replicas["distributor"], large.replicas["querier"], large.ingester_memory) == (
        90,
        40,
        100,
        "6Gi",
    )
    assert loki_sizing("prod", 10).ingestion_rate_mb == 4  # Loki's default is the floor
    assert loki_sizing("prod", 2000).ingestion_rate_mb == 48  # 2000 GB/day is ~23.7 MB/s, twice that at peak
    assert loki_sizing("dev", 50).deployment_mode == "Monolithic"
    with pytest.raises(ValueError, match="30 TB/day"):
        loki_sizing("prod", 30001)


def test_elasticsearch_runs_three_nodes_outside_dev() -> None:
    for stack, nodes in (("dev", 1), ("staging", 3), ("prod", 3)):
        recording = _elk(stack)
        for backend in backends(recording):
            assert custom(recording, backend, "Elasticsearch")["spec"]["nodeSets"][0]["count"] == nodes
