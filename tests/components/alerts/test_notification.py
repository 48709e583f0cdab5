"""Where fired alerts go: `logmesh:alerting` points the Loki ruler at an Alertmanager (URL, v2 API, an optional
credential read from a Kubernetes Secret, an egress allow); Kibana rules record fired and recovered alerts in an
Elasticsearch data stream through the free Index connector. Checked on the resources as the SDK registers them."""

from __future__ import annotations

import base64
import json
from typing import Any

import kubernetes_validate
import pytest

from components.alerts import catalog
from components.alerts.rules import KIBANA_FIRED_GROUP, KIBANA_RECOVERED_GROUP
from components.backends.loki_values import ALERTMANAGER_CREDENTIALS_DIR
from components.backends.network import LOKI_RULER_SELECTOR, LOKI_SINGLE_BINARY_SELECTOR
from components.names import ALERT_HISTORY_DATA_STREAM, ALERTMANAGER_CREDENTIALS_SECRET, KIBANA_ALERT_HISTORY_CONNECTOR
from preflight.analyze.config import load_policy_config, resolve_config
from preflight.analyze.pack import load_policy_pack
from preflight.analyze.servicer import Analyzer
from preflight.record.program import record_program
from preflight.record.recording import Recording, Registration
from preflight.secrets import is_secret
from tests.components.alerts.test_component import by_cluster_and_alert, kibana_bodies
from tests.helpers.harness import PROJECT, ROOT, elk_recording, example_recording, stack_config
from tests.helpers.support import manifest, plain, public_strings

RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
PROD_URL = "http://alertmanager-operated.monitoring.svc.cluster.local:9093"
EXTERNAL_URL = "https://alertmanager.ops.example.com/team-a"
TOKEN = "am-bearer-7Qx2LmZp9W3kT5vR"
USER, PASSWORD = "logmesh-ruler", "am-password-4Hd8sKq1Vz6N"

_runs: dict[str, Recording] = {}


def _once(key: str, build: Any) -> Recording:
    if key not in _runs:
        _runs[key] = build()
    return _runs[key]


def prod() -> Recording:
    """The prod example as shipped (its Alertmanager is in-cluster, without credentials)."""
    return example_recording("prod")


def prod_with_token() -> Recording:
    config = stack_config("prod")
    config["logmesh:alerting"] = {"alertmanager_url": EXTERNAL_URL, "bearer_token": TOKEN}
    return _once("token", lambda: record_program(PROJECT.main, PROJECT.name, "prod", config, secret_keys=["logmesh:alerting"]))


def dev_with_basic_auth() -> Recording:
    config = stack_config("dev")
    config["logmesh:alerting"] = {"alertmanager_url": EXTERNAL_URL, "username": USER, "password": PASSWORD}
    return _once("basic", lambda: record_program(PROJECT.main, PROJECT.name, "dev", config, secret_keys=["logmesh:alerting"]))


def loki_values(recording: Recording) -> list[dict[str, Any]]:
    values = [plain(r.inputs)["values"] for r in recording.of_type(RELEASE) if plain(r.inputs)["chart"] == "loki"]
    assert values
    return values


def policies(recording: Recording, name: str) -> list[Registration]:
    return [r for r in recording.of_type(NETWORK_POLICY) if r.inputs["metadata"]["name"] == name]


# --- Loki ruler -> Alertmanager -----------------------------------------------------------------------------------


def test_prod_ruler_sends_to_the_configured_alertmanager_with_the_v2_api() -> None:
    recording = prod()
    stores = stack_config("prod")["logmesh:stores"]
    values = loki_values(recording)
    assert len(values) == len(stores)
    for v in values:
        ruler = v["loki"]["rulerConfig"]
        assert ruler["alertmanager_url"] == PROD_URL
        assert ruler["enable_alertmanager_v2"] is True
        assert ruler["storage"] == {"type": "local", "local": {"directory": "/rules"}}  # the rule volumes feed it
        assert "alertmanager_client" not in ruler  # no credential configured
        assert v["ruler"]["enabled"] is True
        assert not [volume for volume in v["ruler"]["extraVolumes"] if "secret" in volume]
    assert not [r for r in recording.of_type(SECRET) if r.inputs["metadata"]["name"] == ALERTMANAGER_CREDENTIALS_SECRET]


def test_prod_ruler_may_reach_only_the_alertmanager_namespace_and_port() -> None:
    recording = prod()
    found = policies(recording, "loki-ruler-to-alertmanager")
    assert len(found) == len(stack_config("prod")["logmesh:stores"])
    for policy in found:
        spec = policy.inputs["spec"]
        assert spec["podSelector"]["matchLabels"] == LOKI_RULER_SELECTOR  # distributed: the ruler StatefulSet's pods
        assert spec["policyTypes"] == ["Egress"] and "ingress" not in spec
        [rule] = spec["egress"]
        assert rule["ports"] == [{"port": 9093, "protocol": "TCP"}]
        assert rule["to"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}, "podSelector": {}}]
        kubernetes_validate.validate(manifest(policy), "1.33", strict=True)


@pytest.mark.parametrize("stack", ["dev", "staging"])  # prod requires logmesh:alerting
def test_without_the_key_rules_only_evaluate_as_before(stack: str) -> None:
    example = example_recording(stack)
    for v in loki_values(example):
        ruler = v["loki"]["rulerConfig"]
        assert not {k for k in ruler if "alertmanager" in k}
        assert ruler == {"storage": {"type": "local", "local": {"directory": "/rules"}}, "rule_path": "/var/loki/rules-scratch"}
    assert policies(example, "loki-ruler-to-alertmanager") == []


def test_bearer_token_reaches_the_ruler_only_through_a_secret_file() -> None:
    recording = prod_with_token()
    secrets = [r for r in recording.of_type(SECRET) if r.inputs["metadata"]["name"] == ALERTMANAGER_CREDENTIALS_SECRET]
    assert len(secrets) == len(stack_config("prod")["logmesh:stores"])
    for secret in secrets:
        assert is_secret(secret.inputs["stringData"])  # encrypted in the state
        assert plain(secret.inputs["stringData"]) == {"credentials": TOKEN}
        assert secret.inputs["metadata"]["namespace"] == "logging"
        kubernetes_validate.validate(manifest(secret), "1.33", strict=True)
    for v in loki_values(recording):
        assert v["loki"]["rulerConfig"]["alertmanager_url"] == EXTERNAL_URL
        assert v["loki"]["rulerConfig"]["alertmanager_client"] == {
            "type": "Bearer",
            "credentials_file": f"{ALERTMANAGER_CREDENTIALS_DIR}/credentials",
        }
        [volume] = [volume for volume in v["ruler"]["extraVolumes"] if "secret" in volume]
        assert volume["secret"] == {"secretName": ALERTMANAGER_CREDENTIALS_SECRET}
        [mount] = [mount for mount in v["ruler"]["extraVolumeMounts"] if mount["name"] == volume["name"]]
        assert mount == {"name": volume["name"], "mountPath": ALERTMANAGER_CREDENTIALS_DIR, "readOnly": True}
    # An Alertmanager outside the cluster: NetworkPolicy cannot name a host, so the port is open to any address.
    for policy in policies(recording, "loki-ruler-to-alertmanager"):
        [rule] = policy.inputs["spec"]["egress"]
        assert rule["ports"] == [{"port": 443, "protocol": "TCP"}] and "to" not in rule


def test_basic_auth_credential_is_a_secret_and_mounted_into_the_single_binary() -> None:
    recording = dev_with_basic_auth()
    [secret] = [r for r in recording.of_type(SECRET) if r.inputs["metadata"]["name"] == ALERTMANAGER_CREDENTIALS_SECRET]
    expected = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert plain(secret.inputs["stringData"]) == {"credentials": expected}
    [values] = loki_values(recording)
    assert values["loki"]["rulerConfig"]["alertmanager_client"]["type"] == "Basic"
    secrets = [volume["secret"] for volume in values["singleBinary"]["extraVolumes"] if "secret" in volume]
    assert secrets == [{"secretName": ALERTMANAGER_CREDENTIALS_SECRET}]
    [policy] = policies(recording, "loki-ruler-to-alertmanager")
    assert policy.inputs["spec"]["podSelector"]["matchLabels"] == LOKI_SINGLE_BINARY_SELECTOR  # monolithic: the ruler runs here


@pytest.mark.parametrize("variant", ["token", "basic"])
def test_alertmanager_credentials_appear_only_inside_secret_values(variant: str) -> None:
    recording = prod_with_token() if variant == "token" else dev_with_basic_auth()
    credentials = [TOKEN] if variant == "token" else [PASSWORD, base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()]
    wire = json.dumps([plain(r.inputs) for r in recording.resources])
    assert any(c in wire for c in credentials), "the scan must see the credential somewhere"
    for r in recording.resources:
        public = "\n".join(public_strings(r.inputs, []))
        for credential in credentials:
            assert credential not in public, (r.type, r.name)
        if r.type == RELEASE or r.type == "kubernetes:core/v1:ConfigMap":
            text = json.dumps(plain(r.inputs))
            assert not any(c in text for c in credentials), r.name


def test_credential_variant_passes_the_pack() -> None:
    pack = load_policy_pack(ROOT / "policies")
    config = resolve_config(pack, load_policy_config(ROOT / "policies" / "config" / "prod.json"))
    mandatory = Analyzer(pack, config).analyze(prod_with_token()).mandatory
    assert not mandatory, [(v.policy, v.urn, v.message) for v in mandatory]


# --- Kibana: fired alerts recorded in Elasticsearch ---------------------------------------------------------------


def elk_prod() -> Recording:
    return elk_recording("prod")


def test_kibana_has_the_free_index_connector_writing_the_alert_history_stream() -> None:
    recording = elk_prod()
    kibanas = recording.of_type("kubernetes:kibana.k8s.elastic.co/v1:Kibana")
    assert kibanas
    for kibana in kibanas:
        connectors = plain(kibana.inputs)["spec"]["config"]["xpack.actions.preconfigured"]
        assert connectors == {
            KIBANA_ALERT_HISTORY_CONNECTOR: {
                "name": "logmesh alert history",
                "actionTypeId": ".index",
                "config": {"index": ALERT_HISTORY_DATA_STREAM, "executionTimeField": "@timestamp", "refresh": False},
            }
        }
    # The stream falls under the logmesh index template (ILM after hot_days, nightly snapshots to the bucket).
    assert ALERT_HISTORY_DATA_STREAM.startswith("logs-logmesh-") and "." in ALERT_HISTORY_DATA_STREAM
    # Kibana writes through Elasticsearch, which it already reaches: no egress to an Alertmanager on ELK.
    assert policies(recording, "loki-ruler-to-alertmanager") == []


def test_every_kibana_rule_records_when_it_fires_and_when_it_recovers() -> None:
    recording = elk_prod()
    found = by_cluster_and_alert(recording)
    assert found
    for (cluster, alert), rule in found.items():
        create, update = kibana_bodies(rule, alert)
        assert create["actions"] == update["actions"]
        by_group = {a["group"]: a for a in create["actions"]}
        assert set(by_group) == {KIBANA_FIRED_GROUP, KIBANA_RECOVERED_GROUP}
        for group, status in ((KIBANA_FIRED_GROUP, "firing"), (KIBANA_RECOVERED_GROUP, "resolved")):
            action = by_group[group]
            assert action["id"] == KIBANA_ALERT_HISTORY_CONNECTOR
            assert action["frequency"] == {"summary": False, "notify_when": "onActionGroupChange", "throttle": None}
            [document] = action["params"]["documents"]
            assert document["logmesh"] == {
                "alert": alert,
                "cluster": cluster,
                "status": status,
                "summary": catalog.summary(alert, cluster),
                "runbook_url": catalog.runbook_url(alert),
            }
            assert document["rule"] == {"id": "{{rule.id}}", "name": "{{rule.name}}"}
