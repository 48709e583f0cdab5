"""Alert rules in every store's backend, per cluster that ships to it: ingestion gap, mesh 401/403 spike, 5xx spike,
collector output errors. Loki: ruler rule files mounted into the ruler as volumes; ELK: Kibana rules applied by a Job."""

from __future__ import annotations

import json
import re
import stat
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.alerts import catalog
from components.alerts.component import APPLY_SCRIPT
from components.alerts.rules import kibana_rule_id
from components.config.schema import ClusterConfig
from components.names import ALERT_RULES_LABELS, BACKEND_NAMESPACE, CLUSTER_LABEL
from components.pins import ELASTIC_STACK_VERSION
from preflight.record.recording import Recording, Registration
from tests.helpers.collector_lookups import store_of
from tests.helpers.harness import elk_config, elk_recording, stack_config
from tests.helpers.support import plain, provider_name

CONFIGMAP = "kubernetes:core/v1:ConfigMap"
COMPONENT = "app.kubernetes.io/component"
RELEASE = "kubernetes:helm.sh/v3:Release"


def rule_objects(recording: Recording) -> list[Registration]:
    """The rule ConfigMaps: one per cluster."""
    component = ALERT_RULES_LABELS[COMPONENT]
    return [r for r in recording.of_type(CONFIGMAP) if r.inputs["metadata"].get("labels", {}).get(COMPONENT) == component]


@dataclass(frozen=True)
class AlertRule:
    """One alert of one cluster: the ConfigMap that holds it and its keys there."""

    config_map: Registration
    files: dict[str, str]


def by_cluster_and_alert(recording: Recording) -> dict[tuple[str, str], AlertRule]:
    """Every (cluster, alert), each from its cluster's one ConfigMap, whose keys are all some alert's."""
    found: dict[tuple[str, str], AlertRule] = {}
    clusters: set[str] = set()
    for r in rule_objects(recording):
        cluster = r.inputs["metadata"]["labels"][CLUSTER_LABEL]
        assert cluster not in clusters, cluster
        clusters.add(cluster)
        assert r.inputs["metadata"]["name"] == catalog.alert_rules_configmap(cluster)
        data = plain(r.inputs["data"])
        for alert in catalog.ALERT_NAMES:
            files = {key: text for key, text in data.items() if key.split(".")[0] == alert}
            if files:
                found[(cluster, alert)] = AlertRule(r, files)
        assert sum(len(rule.files) for key, rule in found.items() if key[0] == cluster) == len(data), sorted(data)
    return found


def backend_cluster(config: dict[str, Any], cluster: dict[str, Any]) -> str:
    store = store_of(config, cluster)
    return str(next(s["cluster"] for s in config["logmesh:stores"] if s["name"] == store))


def test_every_cluster_has_every_alert_in_its_store_backend(example: Recording) -> None:
    config = stack_config(example.stack)
    found = by_cluster_and_alert(example)
    assert set(found) == {(c["name"], a) for c in config["logmesh:clusters"] for a in catalog.ALERT_NAMES}
    for cluster in config["logmesh:clusters"]:
        for alert in catalog.ALERT_NAMES:
            rule = found[(cluster["name"], alert)].config_map
            meta = rule.inputs["metadata"]
            assert meta["namespace"] == BACKEND_NAMESPACE
            assert provider_name(rule) == f"{backend_cluster(config, cluster)}-k8s"
            assert meta["labels"]["logmesh.io/store"] == store_of(config, cluster)
            assert meta["labels"]["loki_rule"] == "1"
            # No sidecar loads it any more (its Role read every Secret in `logging`): the ruler mounts it.
            assert "k8s-sidecar-target-directory" not in meta.get("annotations", {})


def ruler_files(values: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(ConfigMap, key) -> the path the Loki ruler sees it at, from the release's volumes and mounts: the ruler's
    StatefulSet when distributed, the single binary otherwise (which is where the chart runs the ruler)."""
    component = values["ruler"] if values["deploymentMode"] == "Distributed" else values["singleBinary"]
    volumes = {v["name"]: v for v in component["extraVolumes"]}
    files: dict[tuple[str, str], str] = {}
    for mount in component["extraVolumeMounts"]:
        config_map = volumes[mount["name"]].get("configMap")
        if config_map is not None:
            assert config_map["optional"] is True  # the ruler starts before components/alerts/component.py creates it
            for item in config_map["items"]:
                assert (config_map["name"], item["key"]) not in files
                files[(config_map["name"], item["key"])] = f"{mount['mountPath']}/{item['path']}"
    return files


def test_loki_ruler_mounts_every_rule_at_its_tenant_folder(example: Recording) -> None:
    """Each rule ConfigMap reaches its store's ruler as /rules/<cluster>/<alert>.yaml, the file layout of the ruler's
    local rule storage; every volume is mounted one level below that root, so the root holds tenant folders only."""
    config = stack_config(example.stack)
    rules = by_cluster_and_alert(example)
    releases = [r for r in example.of_type(RELEASE) if r.inputs["chart"] == "loki"]
    assert len(releases) == len(config["logmesh:stores"])
    for release in releases:
        values = plain(release.inputs)["values"]
        directory = values["loki"]["rulerConfig"]["storage"]["local"]["directory"]
        assert directory == "/rules"
        assert values["sidecar"]["rules"]["enabled"] is False
        files = ruler_files(values)
        here = {key: r for key, r in rules.items() if provider_name(r.config_map) == provider_name(release)}
        assert here and len(files) == len(here)
        for (cluster, alert), rule in here.items():
            [key] = rule.files
            assert files[(rule.config_map.inputs["metadata"]["name"], key)] == f"{directory}/{cluster}/{alert}.yaml"
        component = values["ruler"] if values["deploymentMode"] == "Distributed" else values["singleBinary"]
        for mount in component["extraVolumeMounts"]:
            if mount["name"].startswith("rules-"):
                parent, tenant = mount["mountPath"].rsplit("/", 1)
                assert parent == directory and tenant and mount["readOnly"] is True


def loki_rule(alert_rule: AlertRule) -> dict[str, Any]:
    [text] = alert_rule.files.values()
    [group] = yaml.safe_load(text)["groups"]
    [rule] = group["rules"]
    return dict(rule)


def kibana_bodies(rule: AlertRule, alert: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """An alert's Kibana create and update bodies."""
    create, update = (json.loads(rule.files[catalog.kibana_rule_key(alert, body)]) for body in catalog.KIBANA_RULE_BODIES)
    return create, update


def test_rule_files_are_the_text_yaml_safe_dump_writes(example: Recording) -> None:
    """The component writes rule groups with libyaml's emitter when PyYAML has it; the text is PyYAML's own."""
    rules = by_cluster_and_alert(example)
    assert rules
    for rule in rules.values():
        [text] = rule.files.values()
        assert text == yaml.safe_dump(yaml.safe_load(text), sort_keys=False)


def test_ingestion_gap_fires_when_a_tenant_is_silent(example: Recording) -> None:
    for (cluster, alert), alert_rule in by_cluster_and_alert(example).items():
        rule = loki_rule(alert_rule)
        assert rule["labels"]["cluster"] == cluster
        if alert == catalog.INGESTION_GAP:
            assert rule["expr"] == f'absent_over_time({{cluster="{cluster}"}}[{catalog.INGESTION_GAP_MINUTES}m])'
            assert rule["labels"]["severity"] == "critical"


def test_logql_selects_only_low_cardinality_labels_and_filters_on_parsed_fields(example: Recording) -> None:
    for (cluster, alert), alert_rule in by_cluster_and_alert(example).items():
        expr = loki_rule(alert_rule)["expr"]
        assert expr.count("(") == expr.count(")")
        for selector in re.findall(r"\{([^}]*)\}", expr):
            labels = {part.split("=")[0].strip() for part in selector.split(",")}
            assert labels <= {"cloud", "cluster", "environment", "namespace"}, expr
            assert f'cluster="{cluster}"' in selector
        if alert == catalog.MESH_AUTH_SPIKE:
            assert '| status=~"401|403"' in expr and f"> {catalog.SPIKE_MIN_REQUESTS}" in expr
        if alert == catalog.MESH_5XX_SPIKE:
            assert '| status=~"5.."' in expr
        if alert == catalog.COLLECTOR_OUTPUT_ERRORS:
            assert 'namespace="collectors"' in expr and "failed to flush chunk" in expr and "error sending batch" in expr


# --- ELK: Kibana rules through a Job -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def elk_prod() -> Recording:
    return elk_recording("prod")


def test_kibana_rules_cover_every_cluster_and_alert(elk_prod: Recording) -> None:
    config = elk_config("prod")
    found = by_cluster_and_alert(elk_prod)
    assert set(found) == {(c["name"], a) for c in config["logmesh:clusters"] for a in catalog.ALERT_NAMES}
    for (cluster, alert), rule in found.items():
        assert set(rule.files) == {catalog.kibana_rule_key(alert, body) for body in catalog.KIBANA_RULE_BODIES}
        create, update = kibana_bodies(rule, alert)
        assert (create["rule_type_id"], create["consumer"]) == (".es-query", "stackAlerts")
        assert "rule_type_id" not in update and "consumer" not in update
        params = create["params"]
        assert params["index"] == [f"logs-logmesh-{cluster}"]
        assert f"logmesh:{alert}" in create["tags"]
        if alert == catalog.INGESTION_GAP:
            assert (params["thresholdComparator"], params["threshold"]) == ("<", [1])
            assert (params["timeWindowSize"], params["timeWindowUnit"]) == (catalog.INGESTION_GAP_MINUTES, "m")
        if alert in catalog.ANOMALY_STATUS:
            assert params["searchType"] == "esqlQuery"  # tests/components/alerts/test_rules.py checks its statistic
        else:
            json.loads(params["esQuery"])


def test_kibana_job_applies_every_rule_with_the_elastic_password_from_a_secret(elk_prod: Recording) -> None:
    config = elk_config("prod")
    jobs = elk_prod.of_type("kubernetes:batch/v1:Job")
    rule_jobs = [j for j in jobs if j.inputs["metadata"].get("name") == "logmesh-kibana-alert-rules"]
    assert len(rule_jobs) == len(config["logmesh:stores"])
    data_keys = {r.inputs["metadata"]["name"]: set(r.inputs["data"]) for r in rule_objects(elk_prod)}
    cluster_configs = [ClusterConfig.model_validate(c) for c in config["logmesh:clusters"]]
    for job in rule_jobs:
        store = next(s for s in config["logmesh:stores"] if provider_name(job) == f"{s['cluster']}-k8s")
        clusters = [c["name"] for c in config["logmesh:clusters"] if store_of(config, c) == store["name"]]
        pod = job.inputs["spec"]["template"]
        assert pod["metadata"]["labels"] == ALERT_RULES_LABELS  # the backend's network policy lets it reach Kibana
        spec = pod["spec"]
        [container] = spec["containers"]
        env = {e["name"]: e for e in container["env"]}
        assert env["KIBANA_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "logmesh-es-elastic-user", "key": "elastic"}
        assert env["KIBANA_URL"]["value"].startswith("https://logmesh-kb-http.logging.svc")
        projected = next(v for v in spec["volumes"] if v["name"] == "rules")["projected"]["sources"]
        mapped = {s["configMap"]["name"] for s in projected}
        assert mapped == {catalog.alert_rules_configmap(c) for c in clusters}
        # Each rule's folder is its Kibana id: a UUID v4 (Kibana refuses other ids), stable and unique per rule, and
        # holds the two bodies the apply script sends, each from its key of the cluster's ConfigMap (a key the
        # ConfigMap lacks would leave the pod waiting on its volume).
        folders: dict[str, set[str]] = {}
        for source in projected:
            name = source["configMap"]["name"]
            cluster = next(c for c in cluster_configs if catalog.alert_rules_configmap(c.id) == name)
            for item in source["configMap"]["items"]:
                assert item["key"] in data_keys[name], (name, item["key"])
                folder, file = item["path"].split("/")
                alert = item["key"].split(".")[0]
                assert item["key"] == catalog.kibana_rule_key(alert, file.removesuffix(".json"))  # <alert>.create.json
                assert folder == kibana_rule_id(alert, cluster)
                folders.setdefault(folder, set()).add(file)
        assert len(folders) == len(clusters) * len(catalog.ALERT_NAMES)
        assert all(uuid.UUID(folder).version == 4 and str(uuid.UUID(folder)) == folder for folder in folders)
        assert all(files == {f"{body}.json" for body in catalog.KIBANA_RULE_BODIES} for files in folders.values())
        # The logging namespace enforces the restricted Pod Security Standard.
        assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
        assert "rules-hash" in json.dumps(pod["metadata"])


def test_apply_script_never_puts_the_elastic_password_on_a_command_line(tmp_path: Path) -> None:
    """Runs the Job's script with a `curl` that records its arguments: the password reaches curl only in a
    mode-600 config file, never in argv (readable by any process through /proc/<pid>/cmdline)."""
    password = "Pw0rdFromTheEckSecret"
    stub = tmp_path / "bin" / "curl"
    stub.parent.mkdir()
    stub.write_text(
        '#!/bin/sh\nprintf "%s\\n" "$*" >> "$ARGV_LOG"\n'
        'while [ $# -gt 0 ]; do [ "$1" = -K ] && cp "$2" "$AUTH_COPY"; shift; done\nprintf 200\n'
    )
    stub.chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    script = APPLY_SCRIPT.replace("/tmp/", f"{work}/")
    env = {
        "PATH": f"{stub.parent}:/usr/bin:/bin",
        "KIBANA_URL": "https://logmesh-kb-http.logging.svc:5601",
        "KIBANA_PASSWORD": password,
        "ARGV_LOG": str(tmp_path / "argv"),
        "AUTH_COPY": str(tmp_path / "auth"),
    }
    done = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    argv = (tmp_path / "argv").read_text()
    assert "https://logmesh-kb-http.logging.svc:5601/api/alerting/rule/" in argv
    assert password not in argv
    assert (tmp_path / "auth").read_text() == f'user = "elastic:{password}"\n'
    assert stat.S_IMODE((work / "kibana-auth").stat().st_mode) == 0o600


def test_apply_script_updates_existing_rules_and_fails_on_errors() -> None:
    script = APPLY_SCRIPT
    assert "-X POST" in script and "-X PUT" in script and '"$code" = 409' in script and "exit 1" in script
    assert "--cacert /kibana-ca/ca.crt" in script
    assert ELASTIC_STACK_VERSION.startswith("9.")
