"""The Loki chart's values for one store, as pure functions of what the store and the platform say.

loki_values is the literal shape of the values; the parts that vary with the cloud, the sizing, the tenants and
the alerting settings each come from a small function below it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components.alerts.catalog import ALERT_NAMES, LOKI_RULES_DIR, alert_rules_configmap, loki_rule_file
from components.backends.gateway import gateway_values
from components.backends.loki_sizing import LokiSizing
from components.config.schema import AlertingConfig
from components.kubernetes import non_root_pod_security
from components.names import ALERTMANAGER_CREDENTIALS_SECRET, LOKI_DELETION_MARKER_PREFIX

ALERTMANAGER_CREDENTIALS_DIR = "/etc/loki/alertmanager"


@dataclass(frozen=True)
class LokiValuesInputs:
    """Everything the Loki values depend on."""

    cloud: str
    bucket_name: pulumi.Output[str]
    key_id: pulumi.Output[str]
    region: str
    sizing: LokiSizing
    tenants: tuple[str, ...]
    retention_days: int
    service_account: str
    alerting: AlertingConfig | None
    gateway_replicas: int
    exposed: bool  # the gateway is published on an internal load balancer with these annotations
    load_balancer_annotations: dict[str, str]


def loki_values(v: LokiValuesInputs) -> dict[str, Any]:
    object_store = object_store_type(v.cloud)
    distributed = v.sizing.deployment_mode == "Distributed"
    return {
        "deploymentMode": v.sizing.deployment_mode,
        "serviceAccount": {"create": False, "name": v.service_account},
        # No pod needs the Kubernetes API (the rules arrive as volumes), so none mounts the service account's
        # token; the chart's default is true for every component. The cloud identity does not need it: EKS's pod
        # identity webhook projects its own web-identity token for an IRSA-annotated service account whatever
        # automountServiceAccountToken says, and GKE's metadata server knows the pod by its IP.
        "defaults": {"automountServiceAccountToken": False},
        "loki": {
            "auth_enabled": True,
            # No usage statistics to Grafana Labs (stats.grafana.org).
            "analytics": {"reporting_enabled": False},
            "podSecurityContext": non_root_pod_security(10001),
            "commonConfig": {"replication_factor": v.sizing.replication_factor},
            "schemaConfig": {
                "configs": [
                    {
                        "from": "2024-04-01",
                        "store": "tsdb",
                        "object_store": object_store,
                        "schema": "v13",
                        "index": {"prefix": "loki_index_", "period": "24h"},
                    }
                ]
            },
            "storage": storage(v),
            "ingester": {"wal": {"enabled": True, "dir": "/var/loki/wal", "flush_on_shutdown": True}},
            "compactor": {
                "retention_enabled": True,
                "delete_request_store": object_store,
                "retention_delete_delay": "2h",
                "working_directory": "/var/loki/compactor",
                # The deletion markers (chunks due for deletion, waiting out the delay) in the chunks bucket, not in
                # the working directory: in Distributed mode that is an emptyDir (the chart's compactor.persistence
                # is off, and adding a volume claim to the running StatefulSet cannot be done in place), so a restart
                # would lose them. Loki moves markers it finds on disk there at start.
                "deletion_marker_object_store_prefix": LOKI_DELETION_MARKER_PREFIX,
            },
            "limits_config": {
                "retention_period": f"{v.retention_days * 24}h",
                "ingestion_rate_mb": v.sizing.ingestion_rate_mb,
                "ingestion_burst_size_mb": v.sizing.ingestion_burst_size_mb,
                "allow_structured_metadata": True,
                # No log deletion requests (Loki's default is filter-and-delete): only the compactor's retention
                # removes logs, at the end of retention_period.
                "deletion_mode": "disabled",
            },
            # Grafana reads every tenant of the store at once with `X-Scope-OrgID: a|b|c`.
            "querier": {"multi_tenant_queries_enabled": True},
            # Alert rules arrive as ConfigMaps (components/alerts/component.py) mounted at /rules/<tenant>
            # (loki_rule_volumes), the ruler's local rule storage.
            "rulerConfig": {
                "storage": {"type": "local", "local": {"directory": LOKI_RULES_DIR}},
                "rule_path": "/var/loki/rules-scratch",
                **ruler_alertmanager_config(v.alerting),
            },
        },
        **components(v),
        # No rules sidecar: its Role (loki 18.11.0 role.yaml) grants get/list/watch on every Secret in the
        # namespace to the service account. Without it and with namespaced RBAC the chart creates no Role at all.
        "rbac": {"namespaced": True},
        "sidecar": {"rules": {"enabled": False}},
        "gateway": {
            **gateway_values(v.tenants, v.gateway_replicas, v.exposed, v.load_balancer_annotations),
            **sized(v.sizing, "gateway"),
        },
        # The canary and the chart's test pod push without credentials; the gateway would refuse them.
        "lokiCanary": {"enabled": False},
        "test": {"enabled": False},
        "chunksCache": {"enabled": distributed, **sized(v.sizing, "chunksCache")},
        "resultsCache": {"enabled": distributed, **sized(v.sizing, "resultsCache")},
    }


def sized(sizing: LokiSizing, key: str) -> dict[str, Any]:
    """`{"resources": ...}` for a component the sizing covers, else nothing."""
    return {"resources": dict(sizing.resources[key])} if key in sizing.resources else {}


def object_store_type(cloud: str) -> str:
    return "s3" if cloud == "aws" else "gcs"


def storage(v: LokiValuesInputs) -> dict[str, Any]:
    object_store = object_store_type(v.cloud)
    result: dict[str, Any] = {"type": object_store, "bucketNames": {"chunks": v.bucket_name, "ruler": v.bucket_name}}
    if object_store == "s3":
        # Credentials come from IRSA (no keys); objects are written with the store's KMS key.
        result["s3"] = {"region": v.region, "sse": {"type": "SSE-KMS", "kms_key_id": v.key_id}}
    # GCS: Loki has no KMS setting; the bucket's default CMEK encrypts every object.
    return result


def components(v: LokiValuesInputs) -> dict[str, Any]:
    """Replicas and resources of every chart component (0 replicas for the targets the deployment mode does not run),
    the ruler's rule and credential volumes, and the ingesters' WAL volume."""
    sizing = v.sizing
    distributed = sizing.deployment_mode == "Distributed"
    zeroed = ["backend", "read", "write", *(["singleBinary"] if distributed else [])]
    if not distributed:
        zeroed += ["ingester", "distributor", "querier", "queryFrontend", "queryScheduler", "indexGateway", "compactor"]
    result: dict[str, Any] = {key: {"replicas": 0} for key in zeroed}
    for key, count in sizing.replicas.items():
        result[key] = {"replicas": count}
    if distributed:
        result["ruler"] = {"enabled": True, "replicas": 1}
    # The chart's backend target mounts the token by its own default; it runs no pods here (replicas 0).
    result["backend"]["automountServiceAccountToken"] = False
    ruler = result["ruler" if distributed else "singleBinary"]
    ruler["extraVolumes"], ruler["extraVolumeMounts"] = loki_rule_volumes(v.tenants)
    if v.alerting is not None and v.alerting.has_credentials:
        ruler["extraVolumes"].append({"name": "alertmanager-credentials", "secret": {"secretName": ALERTMANAGER_CREDENTIALS_SECRET}})
        ruler["extraVolumeMounts"].append({"name": "alertmanager-credentials", "mountPath": ALERTMANAGER_CREDENTIALS_DIR, "readOnly": True})
    # Every component the mode runs gets its requests and limits from the sizing (components/backends/loki_sizing.py).
    for key, sized in sizing.resources.items():
        if key in ("gateway", "grafana", "chunksCache", "resultsCache"):
            continue  # set beside their other values in loki_values; Grafana is its own release
        result.setdefault(key, {})["resources"] = dict(sized)
    if distributed:
        result["ingester"] |= {
            # The WAL lives on the ingesters' volumes, so a restart replays what was not yet flushed.
            # Helm replaces a list instead of merging it with the chart's default claim, and the chart renders
            # `accessModes` from the claim without a default: a claim without it is a PVC the API refuses.
            "persistence": {"enabled": True, "claims": [{"name": "data", "accessModes": ["ReadWriteOnce"], "size": "50Gi"}]},
            "zoneAwareReplication": {"enabled": False},
        }
    else:
        result["singleBinary"] |= {"persistence": {"enabled": True, "size": "50Gi"}}
    return result


def ruler_alertmanager_config(alerting: AlertingConfig | None) -> dict[str, Any]:
    """`ruler` settings that send fired alerts to the stack's Alertmanager (Loki 3.7: v2 API, the only one
    Alertmanager 0.27+ serves; default since Loki 3.2, set explicitly)."""
    if alerting is None:
        return {}
    config: dict[str, Any] = {
        "alertmanager_url": alerting.alertmanager_url,
        "enable_alertmanager_v2": True,
        "notification_timeout": "10s",
        "notification_queue_capacity": 10000,
    }
    if alerting.has_credentials:
        config["alertmanager_client"] = {
            "type": "Bearer" if alerting.bearer_token is not None else "Basic",
            "credentials_file": f"{ALERTMANAGER_CREDENTIALS_DIR}/credentials",
        }
    return config


def loki_rule_volumes(tenants: Sequence[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each tenant's alert-rule ConfigMap as files of the ruler's local rule storage: `<LOKI_RULES_DIR>/<tenant>/<alert>.yaml`.

    Mounted by the kubelet instead of the chart's rules sidecar, whose Role reads every Secret in the namespace.
    One volume per tenant, mounted at the tenant's folder: the local rule store takes every directory under
    its root for a tenant, and a single volume at the root would also show the kubelet's `..data` and `..<timestamp>`
    directories, phantom tenants whose (empty) streams would fire every ingestion-gap rule. The ConfigMap is optional:
    components/alerts/component.py creates it after this release, and the kubelet adds the files once they exist."""
    volumes, mounts = [], []
    for tenant in tenants:
        name = f"rules-{tenant}"
        items = [{"key": loki_rule_file(alert), "path": loki_rule_file(alert)} for alert in ALERT_NAMES]
        volumes.append({"name": name, "configMap": {"name": alert_rules_configmap(tenant), "optional": True, "items": items}})
        mounts.append({"name": name, "mountPath": f"{LOKI_RULES_DIR}/{tenant}", "readOnly": True})
    return volumes, mounts
