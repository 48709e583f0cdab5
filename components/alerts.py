"""Alert rules in each store's backend, per cluster that ships to it: ingestion gap, mesh 401/403 spike, mesh 5xx
spike, collector output errors or dropped records.

Loki: ruler rule files (LogQL) in ConfigMaps (label `loki_rule`) that the ruler mounts as volumes at
`/rules/<tenant>/<alert>.yaml` (components/backends.py loki_rule_volumes); one tenant per cluster.
Elasticsearch: Kibana alerting rules (Elasticsearch query rules, free in the Basic tier) applied idempotently through
Kibana's API by a Job.

Where fired alerts go: with `logmesh:alerting` the Loki ruler posts them to that Alertmanager (components/backends.py
sets the ruler up); without it Loki rules only evaluate (visible in Grafana and the ruler API). Every Kibana rule
records its fired and recovered alerts in Elasticsearch through a preconfigured Index connector (free in Basic);
calling an Alertmanager from Kibana needs a Webhook connector, which needs a paid licence.

Every rule object is a ConfigMap labelled `logmesh.io/alert: <alert>` and `logmesh.io/cluster: <cluster>`, so a
policy can check that each cluster has its ingestion-gap alert.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.backends import ALERT_NAMES, BackendEndpoint, alert_rules_configmap, loki_rule_file
from components.config import ClusterConfig, PlatformConfig
from components.names import (
    ALERT_HISTORY_DATA_STREAM,
    ALERT_RULES_LABELS,
    BACKEND_NAMESPACE,
    CLUSTER_LABEL,
    COLLECTOR_NAMESPACE,
    KIBANA_ALERT_HISTORY_CONNECTOR,
    STORE_LABEL,
    data_stream,
)
from components.pins import KIBANA_CLIENT_IMAGE

# The names live with the backends: the Loki ruler mounts one file per alert and cluster.
ALERTS = ALERT_NAMES
INGESTION_GAP, MESH_AUTH_SPIKE, MESH_5XX_SPIKE, COLLECTOR_OUTPUT_ERRORS = ALERTS

# A cluster that sends nothing for this long is silent: every node logs far more often (kubelet, collectors).
INGESTION_GAP_MINUTES = 10
SPIKE_WINDOW_MINUTES = 5
SPIKE_MIN_REQUESTS = 20  # below this many matching requests in the window a ratio is noise
AUTH_FAILURE_RATIO = 0.10
SERVER_ERROR_RATIO = 0.05
# What the collectors log when an output cannot deliver, retries or drops records.
COLLECTOR_ERROR_PATTERNS = (
    "failed to flush chunk",  # Fluent Bit engine
    "cannot be retried",  # Fluent Bit: chunk dropped after Retry_Limit
    "error sending batch",  # Alloy loki.write (will retry / final error)
    "failed to publish events",  # Filebeat output
    "dropping",  # Fluent Bit / Filebeat when a buffer overflows
)
RULE_LABEL = "logmesh.io/alert"


@dataclass(frozen=True)
class AlertRulesArgs:
    platform: PlatformConfig
    clusters: tuple[ClusterConfig, ...]  # the clusters that ship to this store
    provider: k8s.Provider  # of the store's backend cluster
    endpoint: BackendEndpoint
    # ELK only: Kibana's in-cluster URL, the Secret with its CA (`ca.crt`) and the Secret with the elastic password.
    kibana_url: str = ""
    kibana_ca_secret: str = ""
    elastic_user_secret: str = ""
    # The backend: its `logging` namespace (and Kibana) must exist before the rules land in it.
    depends_on: tuple[pulumi.Resource, ...] = ()


def _description(alert: str, cluster: str) -> str:
    return {
        INGESTION_GAP: f"No logs from cluster {cluster} for {INGESTION_GAP_MINUTES} minutes: collector or backend path down.",
        MESH_AUTH_SPIKE: f"Mesh requests in {cluster} denied with 401/403 above {AUTH_FAILURE_RATIO:.0%}: attack or policy break?",
        MESH_5XX_SPIKE: f"Mesh requests in {cluster} failing with 5xx above {SERVER_ERROR_RATIO:.0%}.",
        COLLECTOR_OUTPUT_ERRORS: f"The collector in {cluster} reports output errors, retries or dropped records.",
    }[alert]


def _severity(alert: str) -> str:
    return "critical" if alert == INGESTION_GAP else "warning"


# --- Loki ---------------------------------------------------------------------------------------------------------


def logql(alert: str, cluster: ClusterConfig) -> str:
    stream = f'{{cluster="{cluster.name}"}}'
    window = f"[{SPIKE_WINDOW_MINUTES}m]"

    def ratio(status: str, threshold: float) -> str:
        matching = f'sum(count_over_time({stream} | status=~"{status}" {window}))'
        requests = f'sum(count_over_time({stream} | status!="" {window}))'
        return f"({matching} / {requests}) > {threshold} and {matching} > {SPIKE_MIN_REQUESTS}"

    if alert == INGESTION_GAP:
        return f"absent_over_time({stream}[{INGESTION_GAP_MINUTES}m])"
    if alert == MESH_AUTH_SPIKE:
        return ratio("401|403", AUTH_FAILURE_RATIO)
    if alert == MESH_5XX_SPIKE:
        return ratio("5..", SERVER_ERROR_RATIO)
    collectors = f'{{cluster="{cluster.name}", namespace="{COLLECTOR_NAMESPACE}"}}'
    pattern = "(?i)(" + "|".join(COLLECTOR_ERROR_PATTERNS) + ")"
    return f"sum(count_over_time({collectors} |~ `{pattern}` [{INGESTION_GAP_MINUTES}m])) > 0"


def loki_rule_group(alert: str, cluster: ClusterConfig) -> dict[str, Any]:
    """One Prometheus-style rule group as the Loki ruler reads it."""
    return {
        "groups": [
            {
                "name": f"logmesh-{alert}",
                "interval": "1m",
                "rules": [
                    {
                        "alert": "".join(part.capitalize() for part in f"logmesh-{alert}".split("-")),
                        "expr": logql(alert, cluster),
                        "for": "0m" if alert == INGESTION_GAP else "2m",
                        "labels": {"severity": _severity(alert), "cluster": cluster.name},
                        "annotations": {"summary": _description(alert, cluster.name)},
                    }
                ],
            }
        ]
    }


# --- Elasticsearch / Kibana ----------------------------------------------------------------------------------------


def es_query(alert: str) -> tuple[dict[str, Any], str, int, int]:
    """(query, comparator, threshold, window minutes) of the Kibana Elasticsearch query rule for `alert`."""
    if alert == INGESTION_GAP:
        return {"match_all": {}}, "<", 1, INGESTION_GAP_MINUTES
    if alert == MESH_AUTH_SPIKE:
        return {"terms": {"status": [401, 403]}}, ">", SPIKE_MIN_REQUESTS, SPIKE_WINDOW_MINUTES
    if alert == MESH_5XX_SPIKE:
        return {"range": {"status": {"gte": 500, "lt": 600}}}, ">", SPIKE_MIN_REQUESTS, SPIKE_WINDOW_MINUTES
    # Fluent Bit (Replace_Dots) and Filebeat name the namespace and the line differently.
    namespace = [{"term": {field: COLLECTOR_NAMESPACE}} for field in ("kubernetes.namespace_name", "kubernetes.namespace")]
    phrases = [{"multi_match": {"query": p, "type": "phrase", "fields": ["log", "message"]}} for p in COLLECTOR_ERROR_PATTERNS]
    query = {"bool": {"filter": [{"bool": {"should": namespace, "minimum_should_match": 1}}], "should": phrases, "minimum_should_match": 1}}
    return query, ">", 0, INGESTION_GAP_MINUTES


def kibana_rule_id(alert: str, cluster: ClusterConfig) -> str:
    """A stable id for the rule, so the Job updates rather than duplicates it. Kibana accepts only UUID v1 or v4 ids
    (create rule API), so the id is a v4-format UUID made from a hash of the rule's name."""
    digest = hashlib.sha256(f"logmesh/{alert}/{cluster.name}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


# Action groups of Kibana's Elasticsearch query rule (`.es-query`).
KIBANA_FIRED_GROUP = "query matched"
KIBANA_RECOVERED_GROUP = "recovered"


def kibana_actions(alert: str, cluster: ClusterConfig) -> list[dict[str, Any]]:
    """One alert-history document when the rule fires and one when it recovers (Kibana renders the mustache)."""

    def record(group: str, status: str) -> dict[str, Any]:
        document = {
            "event": {"kind": "alert", "dataset": "logmesh.alerts"},
            "logmesh": {"alert": alert, "cluster": cluster.name, "status": status},
            "rule": {"id": "{{rule.id}}", "name": "{{rule.name}}"},
            "message": "{{context.message}}" if status == "firing" else f"recovered: {_description(alert, cluster.name)}",
            "labels": {"severity": _severity(alert), "cluster": cluster.name},
        }
        return {
            "id": KIBANA_ALERT_HISTORY_CONNECTOR,
            "group": group,
            "params": {"documents": [document]},
            "frequency": {"summary": False, "notify_when": "onActionGroupChange", "throttle": None},
        }

    return [record(KIBANA_FIRED_GROUP, "firing"), record(KIBANA_RECOVERED_GROUP, "resolved")]


def kibana_rule(alert: str, cluster: ClusterConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    """The rule's create body (POST /api/alerting/rule/<id>) and update body (PUT, without the immutable keys)."""
    query, comparator, threshold, minutes = es_query(alert)
    update = {
        "name": f"logmesh {alert} {cluster.name}",
        "tags": ["logmesh", f"logmesh:{alert}", f"cluster:{cluster.name}"],
        "schedule": {"interval": "1m"},
        "params": {
            "searchType": "esQuery",
            "index": [data_stream(cluster)],
            "timeField": "@timestamp",
            "esQuery": json.dumps({"query": query}),
            "size": 0,
            "threshold": [threshold],
            "thresholdComparator": comparator,
            "timeWindowSize": minutes,
            "timeWindowUnit": "m",
        },
        "actions": kibana_actions(alert, cluster),
    }
    return {"rule_type_id": ".es-query", "consumer": "stackAlerts", "enabled": True, **update}, update


APPLY_SCRIPT = """set -eu
umask 077
# The password reaches curl through a config file written by the shell's printf builtin: never on a command line,
# where every process that can read /proc would see it.
printf 'user = "elastic:%s"\\n' "$KIBANA_PASSWORD" > /tmp/kibana-auth
for dir in /rules/*/; do
  id=$(basename "$dir")
  url="${KIBANA_URL}/api/alerting/rule/${id}"
  code=$(curl -sS -o /tmp/response -w '%{http_code}' --cacert /kibana-ca/ca.crt -K /tmp/kibana-auth \\
    -H 'kbn-xsrf: logmesh' -H 'Content-Type: application/json' -X POST "$url" --data-binary @"${dir}create.json")
  if [ "$code" = 409 ]; then
    code=$(curl -sS -o /tmp/response -w '%{http_code}' --cacert /kibana-ca/ca.crt -K /tmp/kibana-auth \\
      -H 'kbn-xsrf: logmesh' -H 'Content-Type: application/json' -X PUT "$url" --data-binary @"${dir}update.json")
  fi
  case "$code" in 2*) echo "rule ${id}: ${code}" ;; *) echo "rule ${id}: HTTP ${code}"; cat /tmp/response; exit 1 ;; esac
done
"""


class AlertRules(pulumi.ComponentResource):
    """The four alerts for every cluster that ships to one store, in that store's backend."""

    store: pulumi.Output[str]
    alerts: pulumi.Output[dict[str, list[str]]]
    notifies: pulumi.Output[str]  # where fired alerts go: an Alertmanager URL, an Elasticsearch data stream, or nowhere

    def __init__(self, name: str, args: AlertRulesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("logmesh:alerts:AlertRules", name, None, opts)
        self._child = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=list(args.depends_on))
        rule_maps: list[k8s.core.v1.ConfigMap] = []
        for cluster in args.clusters:
            for alert in ALERTS:
                rule_maps.append(self._rule_configmap(name, args, cluster, alert))
        if args.endpoint.kind == "elk":
            self._kibana_job(name, args, rule_maps)
        self.store = pulumi.Output.from_input(args.endpoint.store)
        self.alerts = pulumi.Output.from_input({c.name: list(ALERTS) for c in args.clusters})
        self.notifies = pulumi.Output.from_input(self._notification_target(args))
        self.register_outputs({"store": self.store, "alerts": self.alerts, "notifies": self.notifies})

    @staticmethod
    def _notification_target(args: AlertRulesArgs) -> str:
        alerting = args.platform.alerting
        if args.endpoint.kind == "elk":
            if alerting is not None:
                pulumi.log.warn(
                    f"store {args.endpoint.store}: Kibana calls an Alertmanager only through a Webhook connector, which "
                    f"needs a paid Elastic licence; fired alerts are recorded in the data stream {ALERT_HISTORY_DATA_STREAM} "
                    f"and logmesh:alerting.alertmanager_url is not called (README, Alert rules)"
                )
            return f"elasticsearch:{ALERT_HISTORY_DATA_STREAM}"
        if alerting is None:
            return "none: rules evaluate only; set logmesh:alerting to notify an Alertmanager"
        return f"alertmanager:{alerting.alertmanager_url}"

    @staticmethod
    def rule_id(cluster: ClusterConfig, alert: str) -> str:
        return alert_rules_configmap(alert, cluster.name)

    def _rule_configmap(self, name: str, args: AlertRulesArgs, cluster: ClusterConfig, alert: str) -> k8s.core.v1.ConfigMap:
        labels = {**ALERT_RULES_LABELS, RULE_LABEL: alert, CLUSTER_LABEL: cluster.name, STORE_LABEL: args.endpoint.store}
        annotations: dict[str, str] = {"logmesh.io/description": _description(alert, cluster.name)}
        if args.endpoint.kind == "loki":
            labels["loki_rule"] = "1"
            # The ruler mounts this key as /rules/<tenant>/<alert>.yaml (the tenant is the cluster's name).
            data = {loki_rule_file(alert): yaml.safe_dump(loki_rule_group(alert, cluster), sort_keys=False)}
        else:
            create, update = kibana_rule(alert, cluster)
            data = {"create.json": json.dumps(create, indent=2), "update.json": json.dumps(update, indent=2)}
            annotations["logmesh.io/kibana-rule-id"] = kibana_rule_id(alert, cluster)
        return k8s.core.v1.ConfigMap(
            f"{name}-{cluster.name}-{alert}",
            metadata={"name": self.rule_id(cluster, alert), "namespace": BACKEND_NAMESPACE, "labels": labels, "annotations": annotations},
            data=data,
            opts=self._child,
        )

    def _kibana_job(self, name: str, args: AlertRulesArgs, rule_maps: list[k8s.core.v1.ConfigMap]) -> None:
        if not (args.kibana_url and args.kibana_ca_secret and args.elastic_user_secret):
            raise ValueError(f"store {args.endpoint.store}: ELK alert rules need kibana_url, kibana_ca_secret and elastic_user_secret")
        bodies = [kibana_rule(a, c) for c in args.clusters for a in ALERTS]
        rules_hash = hashlib.sha256(json.dumps(bodies, sort_keys=True).encode()).hexdigest()[:16]
        sources: list[k8s.core.v1.VolumeProjectionArgsDict] = [
            {
                "config_map": {
                    "name": self.rule_id(c, a),
                    # The folder name is the Kibana rule id the apply script uses.
                    "items": [{"key": k, "path": f"{kibana_rule_id(a, c)}/{k}"} for k in ("create.json", "update.json")],
                }
            }
            for c in args.clusters
            for a in ALERTS
        ]
        pod: k8s.core.v1.PodSpecArgsDict = {
            "restart_policy": "OnFailure",
            "automount_service_account_token": False,
            "security_context": {"run_as_non_root": True, "run_as_user": 100, "seccomp_profile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": "apply",
                    "image": KIBANA_CLIENT_IMAGE,
                    "command": ["sh", "-c", APPLY_SCRIPT],
                    "env": [
                        {"name": "KIBANA_URL", "value": args.kibana_url},
                        {
                            "name": "KIBANA_PASSWORD",
                            "value_from": {"secret_key_ref": {"name": args.elastic_user_secret, "key": "elastic"}},
                        },
                    ],
                    "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}},
                    "security_context": {
                        "allow_privilege_escalation": False,
                        "read_only_root_filesystem": False,
                        "capabilities": {"drop": ["ALL"]},
                    },
                    "volume_mounts": [
                        {"name": "rules", "mount_path": "/rules", "read_only": True},
                        {"name": "kibana-ca", "mount_path": "/kibana-ca", "read_only": True},
                    ],
                }
            ],
            "volumes": [
                {"name": "rules", "projected": {"sources": sources}},
                {"name": "kibana-ca", "secret": {"secret_name": args.kibana_ca_secret}},
            ],
        }
        spec: k8s.batch.v1.JobSpecArgsDict = {
            "backoff_limit": 6,
            "template": {
                "metadata": {
                    "labels": ALERT_RULES_LABELS,
                    "annotations": {"logmesh.io/rules-hash": rules_hash},
                },
                "spec": pod,
            },
        }
        k8s.batch.v1.Job(
            f"{name}-kibana-rules",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="logmesh-kibana-alert-rules", namespace=BACKEND_NAMESPACE, labels=ALERT_RULES_LABELS),
            spec=spec,
            # A changed rule set changes the Job spec: replace it, so the rules are applied again.
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.provider,
                depends_on=[*args.depends_on, *rule_maps],
                replace_on_changes=["spec"],
                delete_before_replace=True,
            ),
        )
