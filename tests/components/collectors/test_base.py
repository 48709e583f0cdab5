"""Collectors in every cluster of the real platform program: one per cluster, of the kind the stack names, shipping
to its store over verified TLS with its tenant, low-cardinality labels, no-loss buffering and read-only RBAC."""

from __future__ import annotations

import json
import re
from typing import Any

import kubernetes_validate
import pytest
import yaml

from components.collectors.interface import BUFFER_HOST_PATH, CA_DIR, CA_FILE, CREDENTIALS_SECRET, SERVICE_ACCOUNT
from components.config.schema import ConfigError
from components.names import COLLECTOR_NAMESPACE
from preflight.recorder import Recording, Registration
from preflight.secrets import is_secret
from tests.harness import elk_config, run, stack_config
from tests.support import below, descendants, plain, provider_name

KINDS = {"fluent-bit": "FluentBit", "alloy": "Alloy", "filebeat": "Filebeat"}
RELEASE = "kubernetes:helm.sh/v3:Release"
BEAT = "kubernetes:beat.k8s.elastic.co/v1beta1:Beat"


def collectors(recording: Recording) -> dict[str, Registration]:
    found = [r for r in recording.resources if r.type.startswith("logmesh:collectors:")]
    by_name = {r.name: r for r in found}
    assert len(by_name) == len(found), "two collectors with one name"
    return by_name


def workload(recording: Recording, collector: Registration) -> dict[str, Any]:
    # The collector's own workload: its chart's release or its Beat (a Filebeat collector may also bring an ECK operator).
    [release_or_beat] = [
        r
        for r in descendants(recording, collector)
        if r.type == BEAT or (r.type == RELEASE and r.inputs["chart"] in ("fluent-bit", "alloy"))
    ]
    inputs = plain(release_or_beat.inputs)
    return dict(helm_tpl(inputs["values"])) if release_or_beat.type == "kubernetes:helm.sh/v3:Release" else dict(inputs)


ESCAPED = re.compile(r'\{\{"(\{\{|\}\})"\}\}')


def helm_tpl(value: Any) -> Any:
    """What the charts' `tpl` makes of our strings: each {{"{{"}} / {{"}}"}} literal renders to its braces, and no
    other template action may be left for Helm to evaluate."""
    if isinstance(value, dict):
        return {k: helm_tpl(v) for k, v in value.items()}
    if isinstance(value, list):
        return [helm_tpl(v) for v in value]
    if isinstance(value, str):
        assert "{{" not in ESCAPED.sub("", value) and "}}" not in ESCAPED.sub("", value), value[:200]
        return ESCAPED.sub(lambda m: m.group(1), value)
    return value


def fluent_bit_sections(config: dict[str, Any], key: str) -> list[dict[str, str]]:
    """The [SECTION]s of one Fluent Bit config value as key -> value (last wins; Parser lists are joined)."""
    sections = []
    for block in re.split(r"^\[\w+\]$", config[key], flags=re.M)[1:]:
        entries: dict[str, str] = {}
        for line in block.strip().splitlines():
            name, _, value = line.strip().partition(" ")
            entries[name] = (entries[name] + "," + value.strip()) if name in entries else value.strip()
        sections.append(entries)
    return sections


def expected_host(config: dict[str, Any], store_name: str) -> str | None:
    """A store shipped to from another cluster is published as <store>.<ingest_domain>; otherwise None (in-cluster)."""
    store = next(s for s in config["logmesh:stores"] if s["name"] == store_name)
    remote = [c for c in config["logmesh:clusters"] if store_of(config, c) == store_name and c["name"] != store["cluster"]]
    return f"{store_name}.{config['logmesh:ingest_domain']}" if remote else None


def store_of(config: dict[str, Any], cluster: dict[str, Any]) -> str:
    if cluster.get("store"):
        return str(cluster["store"])
    return str(next(s["name"] for s in config["logmesh:stores"] if s["cloud"] == cluster["cloud"]))


# --- one collector per cluster, at the right store and tenant -----------------------------------------------------


def test_every_cluster_has_exactly_one_collector_of_its_kind(any_example: tuple[Recording, dict[str, Any]]) -> None:
    recording, config = any_example
    found = collectors(recording)
    assert set(found) == {c["name"] for c in config["logmesh:clusters"]}
    for cluster in config["logmesh:clusters"]:
        collector = found[cluster["name"]]
        assert collector.type == f"logmesh:collectors:{KINDS[cluster.get('collector', 'fluent-bit')]}Collector"
        objects = [r for r in descendants(recording, collector) if r.custom]
        assert objects and {provider_name(r) for r in objects} == {f"{cluster['name']}-k8s"}
        [namespace] = [
            n for n in below(recording, collector, "kubernetes:core/v1:Namespace") if n.inputs["metadata"]["name"] == COLLECTOR_NAMESPACE
        ]
        assert namespace.inputs["metadata"]["name"] == COLLECTOR_NAMESPACE
        assert namespace.inputs["metadata"]["labels"]["logmesh.io/store"] == store_of(config, cluster)


def _destination(recording: Recording, collector: Registration) -> tuple[str, str]:
    """(host, tenant or data stream) the collector's rendered configuration ships to (Helm values or Beat)."""
    values = workload(recording, collector)
    if collector.type.endswith("FluentBitCollector"):
        [output] = fluent_bit_sections(values["config"], "outputs")
        return output.get("host") or output["Host"], output.get("tenant_id") or output["Index"]
    if collector.type.endswith("AlloyCollector"):
        river = values["alloy"]["configMap"]["content"]
        url = re.search(r'url\s*=\s*"https://([^:/"]+)', river)
        tenant = re.search(r'tenant_id\s*=\s*"([^"]+)"', river)
        assert url and tenant
        return url.group(1), tenant.group(1)
    output = values["spec"]["config"]["output.elasticsearch"]
    [host] = output["hosts"]
    return host.removeprefix("https://").rsplit(":", 1)[0], output["index"]


def test_each_collector_ships_to_its_store_with_its_tenant(any_example: tuple[Recording, dict[str, Any]]) -> None:
    recording, config = any_example
    found = collectors(recording)
    elk = config["logmesh:backend"] == "elk"
    for cluster in config["logmesh:clusters"]:
        host, target = _destination(recording, found[cluster["name"]])
        assert target == (f"logs-logmesh-{cluster['name']}" if elk else cluster["name"])
        store = store_of(config, cluster)
        remote = expected_host(config, store)
        if remote is not None:
            assert host == remote
        else:
            assert host.endswith((".svc", ".svc.cluster.local")) and ".logging." in host
    # The tenant each collector sends is one the store's gateway admits for the collector credential.
    if not elk:
        snippets = json.dumps(
            [plain(r.inputs)["values"] for r in recording.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "loki"]
        )
        for cluster in config["logmesh:clusters"]:
            assert f"collector:/loki/api/v1/push:{cluster['name']}" in snippets


# --- TLS, labels, buffering per kind --------------------------------------------------------------------------------


def _by_kind(recording: Recording, kind: str) -> list[Registration]:
    return [r for r in collectors(recording).values() if r.type == f"logmesh:collectors:{kind}Collector"]


def _ca_configmap(recording: Recording, collector: Registration) -> dict[str, Any]:
    [ca] = [r for r in below(recording, collector, "kubernetes:core/v1:ConfigMap")]
    assert ca.inputs["metadata"]["namespace"] == COLLECTOR_NAMESPACE
    assert plain(ca.inputs["data"])["ca.crt"].startswith("-----BEGIN CERTIFICATE-----")
    return dict(ca.inputs)


def test_fluent_bit_verifies_tls_labels_buffers_and_retries(any_example: tuple[Recording, dict[str, Any]]) -> None:
    recording, config = any_example
    env = config["logmesh:environment"]
    checked = 0
    for collector in _by_kind(recording, "FluentBit"):
        cluster = next(c for c in config["logmesh:clusters"] if c["name"] == collector.name)
        values = workload(recording, collector)
        _ca_configmap(recording, collector)
        [service] = fluent_bit_sections(values["config"], "service")
        [tail] = fluent_bit_sections(values["config"], "inputs")
        [output] = fluent_bit_sections(values["config"], "outputs")
        # TLS with verification against the backend CA mounted from the ConfigMap.
        assert (output["tls"], output["tls.verify"], output["tls.ca_file"]) == ("On", "On", CA_FILE)
        # Without it Fluent Bit checks the chain but not that the certificate names the host (default Off).
        assert output["tls.verify_hostname"] == "On"
        assert {"name": "backend-ca", "mountPath": CA_DIR, "readOnly": True} in values["daemonSetVolumeMounts"]
        # No loss: filesystem buffers and the tail DB on a hostPath, bounded; retries without limit.
        state = next(m["mountPath"] for m in values["daemonSetVolumeMounts"] if m["name"] == "buffer")
        buffer = next(v for v in values["daemonSetVolumes"] if v["name"] == "buffer")
        assert buffer["hostPath"]["path"].startswith(BUFFER_HOST_PATH)
        assert service["storage.path"].startswith(state) and tail["DB"].startswith(state)
        assert tail["storage.type"] == "filesystem" and tail["multiline.parser"] == "docker, cri"
        assert service["storage.backlog.mem_limit"] and output["storage.total_limit_size"]
        assert output["Retry_Limit"] == "no_limits"
        assert values["resources"]["requests"] and values["resources"]["limits"]
        if output["Name"] == "loki":
            labels = dict(pair.split("=", 1) for pair in output["labels"].split(", "))
            assert labels == {
                "cloud": cluster["cloud"],
                "cluster": cluster["name"],
                "environment": env,
                "namespace": "$kubernetes['namespace_name']",
            }
            metadata = dict(pair.split("=", 1) for pair in output["structured_metadata"].split(", "))
            assert {"trace_id", "request_id"} <= set(metadata)
            assert output["uri"] == "/loki/api/v1/push"
        else:
            assert output["Name"] == "es" and output["Suppress_Type_Name"] == "On" and output["Write_Operation"] == "create"
            [nest] = [f for f in fluent_bit_sections(values["config"], "filters") if f["Name"] == "nest"]
            [modify] = [f for f in fluent_bit_sections(values["config"], "filters") if f["Name"] == "modify"]
            assert nest["Nest_under"] == "labels"
            assert (
                modify["Add"]
                == f"logmesh_label_cloud {cluster['cloud']},logmesh_label_cluster {cluster['name']},logmesh_label_environment {env}"
            )
        checked += 1
    assert checked == sum(1 for c in config["logmesh:clusters"] if c.get("collector", "fluent-bit") == "fluent-bit")


def test_alloy_verifies_tls_labels_and_keeps_a_wal(example: Recording) -> None:
    config = stack_config(example.stack)
    alloys = _by_kind(example, "Alloy")
    assert len(alloys) == sum(1 for c in config["logmesh:clusters"] if c.get("collector") == "alloy")
    for collector in alloys:
        cluster = next(c for c in config["logmesh:clusters"] if c["name"] == collector.name)
        values = workload(example, collector)
        river = values["alloy"]["configMap"]["content"]
        _ca_configmap(example, collector)
        assert f'ca_file              = "{CA_FILE}"' in river and "insecure_skip_verify = false" in river
        assert re.search(r'url\s*=\s*"https://', river)
        external = re.search(r"external_labels = \{ (.*) \}", river)
        assert external is not None
        assert (
            external.group(1)
            == f'cloud = "{cluster["cloud"]}", cluster = "{cluster["name"]}", environment = "{config["logmesh:environment"]}"'
        )
        assert {label for label in re.findall(r'target_label\s*=\s*"(\w+)"', river) if not label.startswith("__")} == {
            "namespace",
            "container",
        }
        assert 'values = ["container", "filename"]' in river  # stage.label_drop: only namespace stays a label
        assert re.search(r"stage.structured_metadata \{\s*values = \{[^}]*trace_id", river)
        assert re.search(r"wal \{\s*enabled\s*= true", river)
        buffer = next(v for v in values["controller"]["volumes"]["extra"] if v["name"] == "buffer")
        assert buffer["hostPath"]["path"].startswith(BUFFER_HOST_PATH)
        assert {"name": "buffer", "mountPath": values["alloy"]["storagePath"]} in values["alloy"]["mounts"]["extra"]
        assert values["alloy"]["resources"]["limits"]
        assert 'sys.env("LOGMESH_OUTPUT_PASSWORD")' in river


def test_filebeat_verifies_tls_labels_and_queues_on_disk(elk_with_filebeat: Recording) -> None:
    config = elk_config(elk_with_filebeat.stack)
    beats = _by_kind(elk_with_filebeat, "Filebeat")
    assert len(beats) == sum(1 for c in config["logmesh:clusters"] if c.get("collector") == "filebeat") > 0
    for collector in beats:
        cluster = next(c for c in config["logmesh:clusters"] if c["name"] == collector.name)
        beat = workload(elk_with_filebeat, collector)
        spec = beat["spec"]
        output = spec["config"]["output.elasticsearch"]
        _ca_configmap(elk_with_filebeat, collector)
        assert output["ssl"] == {"certificate_authorities": [CA_FILE], "verification_mode": "full"}
        assert output["hosts"][0].startswith("https://")
        assert (output["username"], output["password"]) == ("${LOGMESH_OUTPUT_USERNAME}", "${LOGMESH_OUTPUT_PASSWORD}")
        [add_fields] = [p["add_fields"] for p in spec["config"]["processors"] if "add_fields" in p]
        assert add_fields == {
            "target": "labels",
            "fields": {"cloud": cluster["cloud"], "cluster": cluster["name"], "environment": config["logmesh:environment"]},
        }
        assert spec["config"]["queue.disk"]["max_size"]
        [container] = spec["daemonSet"]["podTemplate"]["spec"]["containers"]
        assert container["resources"]["requests"] and container["resources"]["limits"]
        assert spec["type"] == "filebeat" and beat["apiVersion"] == "beat.k8s.elastic.co/v1beta1"


def test_every_filebeat_runs_under_an_eck_operator_that_manages_the_collectors_namespace(elk_with_filebeat: Recording) -> None:
    """ECK runs a Beat only in the namespaces its operator manages, and a cluster without the operator has no Beat CRD:
    on a backend's cluster the backend's operator also manages `collectors`; elsewhere the collector brings its own."""
    config = elk_config(elk_with_filebeat.stack)
    backend_clusters = {s["cluster"]: s["name"] for s in config["logmesh:stores"]}
    beats = _by_kind(elk_with_filebeat, "Filebeat")
    assert beats
    for collector in beats:
        [beat] = below(elk_with_filebeat, collector, BEAT)
        own = [r for r in below(elk_with_filebeat, collector, RELEASE) if r.inputs["chart"] == "eck-operator"]
        if collector.name in backend_clusters:
            assert own == []
            [backend] = [
                r
                for r in elk_with_filebeat.resources
                if r.type == "logmesh:backends:ElkBackend" and r.name == backend_clusters[collector.name]
            ]
            [operator] = [r for r in below(elk_with_filebeat, backend, RELEASE) if r.inputs["chart"] == "eck-operator"]
        else:
            [operator] = own
            assert operator.inputs["version"] == "3.5.0" and operator.inputs["namespace"] == "elastic-system"
            assert provider_name(operator) == f"{collector.name}-k8s"
        assert operator.urn in beat.dependencies
        values = plain(operator.inputs)["values"]
        assert COLLECTOR_NAMESPACE in values["managedNamespaces"] and values["installCRDs"] is True


# --- RBAC and credentials -----------------------------------------------------------------------------------------


def test_collector_rbac_is_read_only_on_pods_namespaces_and_nodes(any_example: tuple[Recording, dict[str, Any]]) -> None:
    recording, _config = any_example
    for collector in collectors(recording).values():
        [role] = below(recording, collector, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")
        [binding] = below(recording, collector, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")
        [account] = below(recording, collector, "kubernetes:core/v1:ServiceAccount")
        assert role.inputs["rules"] == [
            {"apiGroups": [""], "resources": ["pods", "namespaces", "nodes"], "verbs": ["get", "list", "watch"]}
        ]
        assert binding.inputs["roleRef"]["name"] == role.inputs["metadata"]["name"]
        assert binding.inputs["subjects"] == [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": COLLECTOR_NAMESPACE}]
        assert account.inputs["metadata"]["name"] == SERVICE_ACCOUNT
        values = workload(recording, collector)
        if "spec" in values:  # ECK Beat
            assert values["spec"]["daemonSet"]["podTemplate"]["spec"]["serviceAccountName"] == SERVICE_ACCOUNT
        else:  # the charts use this account and create no RBAC of their own
            assert values["serviceAccount"] == {"create": False, "name": SERVICE_ACCOUNT}
            assert values["rbac"] == {"create": False}


def test_credentials_live_only_in_a_secret(any_example: tuple[Recording, dict[str, Any]]) -> None:
    recording, _config = any_example
    for collector in collectors(recording).values():
        [secret] = below(recording, collector, "kubernetes:core/v1:Secret")
        assert secret.inputs["metadata"]["name"] == CREDENTIALS_SECRET
        assert is_secret(secret.inputs["stringData"]) or is_secret(secret.inputs["stringData"]["password"])
        password = plain(secret.inputs)["stringData"]["password"]
        assert len(password) >= 16
        exposed = [plain(r.inputs) for r in descendants(recording, collector) if r.type != "kubernetes:core/v1:Secret"]
        assert password not in json.dumps(exposed)
        text = json.dumps(workload(recording, collector))
        assert "secretKeyRef" in text and CREDENTIALS_SECRET in text


# --- Kubernetes validity ------------------------------------------------------------------------------------------


def manifest(registration: Registration) -> dict[str, Any]:
    group_version, kind = registration.type.removeprefix("kubernetes:").rsplit(":", 1)
    kind = kind.removesuffix("Patch")
    obj = {k: v for k, v in plain(registration.inputs).items() if k not in ("apiVersion", "kind")}
    obj["metadata"] = {**obj.get("metadata", {}), "name": registration.outputs["metadata"]["name"]}
    return {"apiVersion": group_version.removeprefix("core/"), "kind": kind, **obj}


CORE_GROUPS = ("core", "rbac.authorization.k8s.io", "batch", "apps")


def owned(recording: Recording) -> list[Registration]:
    tops = [r for r in recording.resources if r.type.startswith(("logmesh:collectors:", "logmesh:mesh:", "logmesh:alerts:"))]
    return [r for top in tops for r in descendants(recording, top)]


def test_every_core_kubernetes_object_validates_for_1_33(any_example: tuple[Recording, dict[str, Any]]) -> None:
    recording, config = any_example
    checked = 0
    for r in owned(recording):
        if r.type.startswith("kubernetes:") and r.type.removeprefix("kubernetes:").split("/")[0] in CORE_GROUPS:
            kubernetes_validate.validate(manifest(r), "1.33", strict=True)
            checked += 1
    # namespace, account, role, binding, CA, secret per cluster; four alert rule objects per cluster.
    assert checked >= 10 * len(config["logmesh:clusters"])


def test_validation_catches_a_bad_collector_role(example: Recording) -> None:
    role = next(r for r in owned(example) if r.type == "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")
    broken = manifest(role)
    broken["rules"][0]["verbs"] = "get"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.33", strict=True)


def test_a_stack_with_alloy_on_elk_is_refused_before_any_collector_exists() -> None:
    config = stack_config("staging")
    config["logmesh:backend"] = "elk"
    with pytest.raises(ConfigError, match="'alloy' ships only to Loki") as caught:
        run(config)
    assert caught.value.registrations == []  # type: ignore[attr-defined]


def test_rendered_configuration_is_yaml_serialisable(example: Recording) -> None:
    for collector in collectors(example).values():
        yaml.safe_dump(workload(example, collector))


def test_alloy_go_templates_survive_helm_tpl(example: Recording) -> None:
    for collector in _by_kind(example, "Alloy"):
        [release] = below(example, collector, "kubernetes:helm.sh/v3:Release")
        raw = plain(release.inputs)["values"]["alloy"]["configMap"]["content"]
        assert '{{"{{"}} if .total_ns {{"}}"}}' in raw
        assert "{{ if .total_ns }}{{ mulf .total_ns 1e-06 }}{{ end }}" in workload(example, collector)["alloy"]["configMap"]["content"]
