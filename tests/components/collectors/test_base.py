"""Collectors in every cluster of the real platform program: one per cluster, of the kind the stack names, shipping
to its store over verified TLS with its tenant, low-cardinality labels, no-loss buffering and read-only RBAC; and
nothing reaches a collector's pods over the network while their egress stays open."""

from __future__ import annotations

import json
import re
from typing import Any

import kubernetes_validate
import pytest
import yaml

from components.collectors.interface import CREDENTIALS_SECRET, SERVICE_ACCOUNT
from components.config.schema import ConfigError
from components.names import COLLECTOR_NAMESPACE
from preflight.record.recording import Recording, Registration
from preflight.secrets import is_secret
from tests.helpers.collector_lookups import (
    BEAT,
    CORE_GROUPS,
    KINDS,
    RELEASE,
    collectors,
    expected_host,
    fluent_bit_sections,
    owned,
    store_of,
    workload,
)
from tests.helpers.harness import run, stack_config
from tests.helpers.support import below, descendants, manifest, plain, provider_name

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


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


def _destination(recording: Recording, collector: Registration, prefix: str = "") -> tuple[str, str]:
    """(host, tenant or data stream) the collector's rendered configuration ships to (Helm values or Beat)."""
    values = workload(recording, collector)
    if collector.type.endswith("FluentBitCollector"):
        [output] = [s for s in fluent_bit_sections(values["config"], "outputs") if s["Name"] != "datadog"]  # the backend's
        if output["Name"] == "forward":
            # To an aggregation tier, which picks the tenant or data stream from the cluster label the collector stamps
            # on each record (tests/components/aggregation/test_fluentd.py reads the tier's side).
            [modify] = [f for f in fluent_bit_sections(values["config"], "filters") if f.get("Name") == "modify"]
            cluster = re.search(r"logmesh_label_cluster ([^,]+)", modify["Add"])
            assert cluster
            return output["Host"], f"{prefix}{cluster.group(1)}"
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
        host, target = _destination(recording, found[cluster["name"]], "logs-logmesh-" if elk else "")
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
        # (A cluster that sends to Datadog also has the DatadogSink's API key Secret: tests/components/test_datadog_sink.py.)
        [secret] = [
            s for s in below(recording, collector, "kubernetes:core/v1:Secret") if s.inputs["metadata"]["name"] == CREDENTIALS_SECRET
        ]
        assert is_secret(secret.inputs["stringData"]) or is_secret(secret.inputs["stringData"]["password"])
        password = plain(secret.inputs)["stringData"]["password"]
        assert len(password) >= 16
        exposed = [plain(r.inputs) for r in descendants(recording, collector) if r.type != "kubernetes:core/v1:Secret"]
        assert password not in json.dumps(exposed)
        text = json.dumps(workload(recording, collector))
        assert "secretKeyRef" in text and CREDENTIALS_SECRET in text


# --- Kubernetes validity ------------------------------------------------------------------------------------------


def test_every_core_kubernetes_object_validates_for_1_33(any_example: tuple[Recording, dict[str, Any]]) -> None:
    recording, config = any_example
    checked = 0
    for r in owned(recording):
        if r.type.startswith("kubernetes:") and r.type.removeprefix("kubernetes:").split("/")[0] in CORE_GROUPS:
            kubernetes_validate.validate(manifest(r), "1.33", strict=True)
            checked += 1
    # namespace, account, role, binding, CA, secret and the cluster's alert-rule ConfigMap, at least, per cluster.
    assert checked >= 7 * len(config["logmesh:clusters"])


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


def test_every_collector_namespace_denies_all_ingress_and_leaves_egress_open(
    any_example: tuple[Recording, dict[str, Any]],
) -> None:
    recording, config = any_example
    found = collectors(recording)
    assert set(found) == {c["name"] for c in config["logmesh:clusters"]}
    for collector in found.values():
        [policy] = below(recording, collector, NETWORK_POLICY)
        inputs = plain(policy.inputs)
        assert inputs["metadata"]["namespace"] == COLLECTOR_NAMESPACE
        # Every pod of the namespace, isolated for ingress with no rule that admits anything; egress not isolated.
        assert inputs["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
        kubernetes_validate.validate(manifest(policy), "1.33", strict=True)
        # The policy exists before the collector's pods do.
        [pods_owner] = [
            r
            for r in descendants(recording, collector)
            if r.type == BEAT or (r.type == RELEASE and r.inputs["chart"] in ("fluent-bit", "alloy"))
        ]
        assert policy.urn in pods_owner.dependencies


def test_validation_catches_a_bad_collector_policy(example: Recording) -> None:
    collector = next(iter(collectors(example).values()))
    [policy] = below(example, collector, NETWORK_POLICY)
    broken = manifest(policy)
    broken["spec"]["policyTypes"] = "Ingress"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.33", strict=True)
