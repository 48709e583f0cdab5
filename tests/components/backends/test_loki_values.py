"""What a compromised Loki or Grafana pod can reach, and what the stack tells Grafana Labs: no rules sidecar (its Role
read every Secret in `logging`), no service-account token in any Loki pod, no usage reporting. On the resources as
the SDK registers them, for every example stack."""

from __future__ import annotations

from typing import Any

from preflight.record.recording import Recording, Registration
from tests.helpers import backend_lookups
from tests.helpers.backend_lookups import backends, loki_backend_recording
from tests.helpers.harness import stack_config
from tests.helpers.support import plain, provider_name

RELEASE = "kubernetes:helm.sh/v3:Release"
RBAC_TYPES = (
    "kubernetes:rbac.authorization.k8s.io/v1:Role",
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
)
# The annotations by which EKS and GKE give a Kubernetes service account its cloud identity.
IRSA = "eks.amazonaws.com/role-arn"
GKE_WORKLOAD_IDENTITY = "iam.gke.io/gcp-service-account"


def releases(recording: Recording, chart: str) -> list[Registration]:
    found = [r for r in recording.of_type(RELEASE) if r.inputs["chart"] == chart]
    assert found, chart
    return found


def settings(value: Any, key: str) -> list[Any]:
    """Every value of `key` anywhere in a values tree."""
    found: list[Any] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key:
                found.append(v)
            found += settings(v, key)
    elif isinstance(value, list):
        for v in value:
            found += settings(v, key)
    return found


def test_loki_runs_no_rules_sidecar_and_the_chart_creates_no_role(example: Recording) -> None:
    for release in releases(example, "loki"):
        values = plain(release.inputs)["values"]
        # loki 18.11.0 role.yaml renders a Role with get/list/watch on configmaps and secrets only when the sidecar is
        # on (and sccEnabled is off); namespaced RBAC keeps the chart's empty ClusterRole and its binding away too.
        assert values["sidecar"]["rules"]["enabled"] is False
        assert values["rbac"] == {"namespaced": True}
        assert not [v for v in settings(values, "sidecar") if v is True]  # no component asks for the sidecar
    # Nor does logmesh bind anything to the backend's service account.
    for r in example.resources:
        if r.type in RBAC_TYPES:
            subjects = plain(r.inputs).get("subjects", [])
            assert not [s for s in subjects if s.get("namespace") == "logging"], r.name


def test_no_loki_pod_mounts_a_service_account_token(example: Recording) -> None:
    # Each store's backend runs on the store's cluster, through that cluster's provider `<cluster>-k8s`.
    cloud_by_provider = {f"{s['cluster']}-k8s": s["cloud"] for s in stack_config(example.stack)["logmesh:stores"]}
    for release in releases(example, "loki"):
        values = plain(release.inputs)["values"]
        # The chart's pod template takes a component's own boolean, else `defaults` (true out of the box); the only
        # component whose default is its own `true` is the backend target.
        assert values["defaults"]["automountServiceAccountToken"] is False
        assert values["backend"]["automountServiceAccountToken"] is False
        assert set(settings(values, "automountServiceAccountToken")) == {False}
        assert values["serviceAccount"] == {"create": False, "name": "loki"}
    accounts = [
        r
        for r in example.of_type("kubernetes:core/v1:ServiceAccount")
        if r.inputs["metadata"]["name"] == "loki" and r.inputs["metadata"]["namespace"] == "logging"
    ]
    assert len(accounts) == len(cloud_by_provider)
    for account in accounts:
        inputs = plain(account.inputs)
        # Pods that set nothing themselves (the chart's memcached caches) follow the account: no token either.
        assert inputs["automountServiceAccountToken"] is False
        # The cloud identity needs no mounted token: EKS's pod identity webhook projects its own web-identity token
        # for an IRSA-annotated account, and GKE's metadata server identifies the pod by its address.
        annotations = inputs["metadata"]["annotations"]
        cloud = cloud_by_provider[provider_name(account)]
        assert (IRSA in annotations) if cloud == "aws" else (GKE_WORKLOAD_IDENTITY in annotations), annotations


def test_loki_and_grafana_send_no_usage_reports(example: Recording) -> None:
    for release in releases(example, "loki"):
        assert plain(release.inputs)["values"]["loki"]["analytics"] == {"reporting_enabled": False}
    for release in releases(example, "grafana"):
        ini = plain(release.inputs)["values"]["grafana.ini"]
        assert ini["analytics"] == {"reporting_enabled": False, "check_for_updates": False, "check_for_plugin_updates": False}


def test_loki_topology_follows_the_environment_and_grafana_tiers() -> None:
    dev = backend_lookups.release(loki_backend_recording("dev"), backends(loki_backend_recording("dev"))[0], "loki")["values"]
    assert dev["deploymentMode"] == "Monolithic" and dev["singleBinary"]["replicas"] == 1
    assert dev["loki"]["commonConfig"]["replication_factor"] == 1
    prod = backend_lookups.release(loki_backend_recording("prod"), backends(loki_backend_recording("prod"))[0], "loki")["values"]
    assert prod["deploymentMode"] == "Distributed"
    assert prod["loki"]["commonConfig"]["replication_factor"] == 3
    assert prod["loki"]["ingester"]["wal"]["enabled"] is True
    assert prod["ingester"]["persistence"]["enabled"] is True
    # The chart's claims list is replaced, not merged, and rendered field by field (loki 18.11.0 _workload.tpl):
    # the WAL's claim must name its access modes and size itself.
    assert prod["ingester"]["persistence"]["claims"] == [{"name": "data", "accessModes": ["ReadWriteOnce"], "size": "50Gi"}]
    assert (prod["ingester"]["replicas"], prod["distributor"]["replicas"], prod["querier"]["replicas"]) == (6, 4, 10)
    assert prod["singleBinary"]["replicas"] == 0 and prod["write"]["replicas"] == 0


def test_compactor_keeps_its_deletion_markers_in_object_storage(example: Recording) -> None:
    """The compactor's working directory is an emptyDir in Distributed mode (loki 18.11.0 `compactor.persistence` is
    off): markers kept there would be lost on a restart inside the 2h delete delay. In the chunks bucket they survive, in
    every mode, under a prefix no tenant (a cluster name, a DNS label) can have and that no lifecycle rule expires."""
    from components.names import LOKI_DELETION_MARKER_PREFIX

    tenants = {c["name"] for c in stack_config(example.stack)["logmesh:clusters"]}
    for release in releases(example, "loki"):
        compactor = plain(release.inputs)["values"]["loki"]["compactor"]
        prefix = compactor["deletion_marker_object_store_prefix"]
        assert prefix == LOKI_DELETION_MARKER_PREFIX and prefix.endswith("/")
        assert prefix.rstrip("/") not in tenants
        assert compactor["retention_delete_delay"] == "2h"


def test_every_loki_and_grafana_container_the_chart_runs_has_requests_and_limits(example: Recording) -> None:
    """loki 18.11.0 renders no resources for a component whose `<component>.resources` is empty (only the ingester had
    them): each one the mode runs gets the sizing's figures, and so does Grafana."""
    from components.backends.loki_sizing import loki_sizing

    config = stack_config(example.stack)
    sizing = loki_sizing(config["logmesh:environment"], config.get("logmesh:daily_volume_gb", 100))
    for release in releases(example, "loki"):
        values = plain(release.inputs)["values"]
        running = [k for k, v in values.items() if isinstance(v, dict) and v.get("replicas", 0) > 0] + ["gateway"]
        if values["chunksCache"]["enabled"]:
            running += ["chunksCache", "resultsCache", "memcachedExporter"]
        assert "ingester" in running or "singleBinary" in running
        for key in running:
            assert values[key]["resources"] == sizing.resources[key], key
            assert values[key]["resources"]["requests"]["memory"] and values[key]["resources"]["limits"]["memory"], key
    for grafana in releases(example, "grafana"):
        assert plain(grafana.inputs)["values"]["resources"] == sizing.resources["grafana"]
