"""Alert rules in each store's backend, per cluster that ships to it: ingestion gap, mesh 401/403 spike, mesh 5xx
spike, collector output errors or dropped records.

Loki: ruler rule files (LogQL) in ConfigMaps (label `loki_rule`) that the ruler mounts as volumes at
`/rules/<tenant>/<alert>.yaml` (components/backends/loki_values.py loki_rule_volumes); one tenant per cluster.
Elasticsearch: Kibana alerting rules (Elasticsearch query rules, free in the Basic tier) applied idempotently through
Kibana's API by a Job.

Where fired alerts go: with `logmesh:alerting` the Loki ruler posts them to that Alertmanager (components/backends/loki_values.py
sets the ruler up); without it Loki rules only evaluate (visible in Grafana and the ruler API). Every Kibana rule
records its fired and recovered alerts in Elasticsearch through a preconfigured Index connector (free in Basic);
calling an Alertmanager from Kibana needs a Webhook connector, which needs a paid licence.

One ConfigMap per cluster, labelled `logmesh.io/cluster: <cluster>`, holds that cluster's rules, one key per alert (two
on ELK): a cluster's rules change together, and a fleet of N clusters adds N objects to each backend, not six times N.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib.resources import files

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.alerts.catalog import ALERT_NAMES, KIBANA_RULE_BODIES, alert_rules_configmap, kibana_rule_key, loki_rule_file
from components.alerts.rules import kibana_rule, kibana_rule_id, loki_rule_group
from components.backends.interface import BackendEndpoint
from components.config.schema import ClusterConfig, PlatformConfig
from components.names import (
    ALERT_HISTORY_DATA_STREAM,
    ALERT_RULES_LABELS,
    BACKEND_NAMESPACE,
    CLUSTER_LABEL,
    STORE_LABEL,
)
from components.pins import CURL_IMAGE

# libyaml's emitter where PyYAML has it: the same text as yaml.safe_dump (compared on every rule group of the example
# stacks), about ten times faster, and a fleet renders a rule group per cluster and alert.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# Creates or updates every rule of the mounted folders through Kibana's API; the Job runs it with `sh -c`.
APPLY_SCRIPT = files("components.alerts").joinpath("assets/apply-kibana-rules.sh").read_text(encoding="utf-8")


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


class AlertRules(pulumi.ComponentResource):
    """The six alerts for every cluster that ships to one store, in that store's backend."""

    store: pulumi.Output[str]
    alerts: pulumi.Output[dict[str, list[str]]]
    notifies: pulumi.Output[str]  # where fired alerts go: an Alertmanager URL, an Elasticsearch data stream, or nowhere

    def __init__(self, name: str, args: AlertRulesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("logmesh:alerts:AlertRules", name, None, opts)
        self._child = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=list(args.depends_on))
        elk = args.endpoint.kind == "elk"
        if elk and not (args.kibana_url and args.kibana_ca_secret and args.elastic_user_secret):
            raise ValueError(f"store {args.endpoint.store}: ELK alert rules need kibana_url, kibana_ca_secret and elastic_user_secret")
        rule_data = [self._rule_data(elk, cluster) for cluster in args.clusters]
        rule_maps = [self._rule_configmap(name, args, cluster, data) for cluster, data in zip(args.clusters, rule_data, strict=True)]
        if elk:
            rules_hash = hashlib.sha256(json.dumps(rule_data, sort_keys=True).encode()).hexdigest()[:16]
            self._kibana_job(name, args, rule_maps, rules_hash)
        self.store = pulumi.Output.from_input(args.endpoint.store)
        self.alerts = pulumi.Output.from_input({c.id: list(ALERT_NAMES) for c in args.clusters})
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
                    f"and logmesh:alerting.alertmanager_url is not called (docs/alerts.md)"
                )
            return f"elasticsearch:{ALERT_HISTORY_DATA_STREAM}"
        if alerting is None:
            return "none: rules evaluate only; set logmesh:alerting to notify an Alertmanager"
        return f"alertmanager:{alerting.alertmanager_url}"

    @staticmethod
    def _rule_data(elk: bool, cluster: ClusterConfig) -> dict[str, str]:
        """The cluster's rule ConfigMap data: Kibana's two API bodies per alert, or the Loki ruler's file per alert,
        which the ruler reads as /rules/<tenant>/<alert>.yaml (the tenant is the cluster's name)."""
        if elk:
            return {
                kibana_rule_key(alert, body): json.dumps(content, indent=2)
                for alert in ALERT_NAMES
                for body, content in zip(KIBANA_RULE_BODIES, kibana_rule(alert, cluster), strict=True)
            }
        return {loki_rule_file(alert): yaml.dump(loki_rule_group(alert, cluster), Dumper=_DUMPER, sort_keys=False) for alert in ALERT_NAMES}

    def _rule_configmap(self, name: str, args: AlertRulesArgs, cluster: ClusterConfig, data: dict[str, str]) -> k8s.core.v1.ConfigMap:
        labels = {**ALERT_RULES_LABELS, CLUSTER_LABEL: cluster.id, STORE_LABEL: args.endpoint.store}
        if args.endpoint.kind == "loki":
            labels["loki_rule"] = "1"
        return k8s.core.v1.ConfigMap(
            f"{name}-{cluster.id}",
            metadata={"name": alert_rules_configmap(cluster.id), "namespace": BACKEND_NAMESPACE, "labels": labels},
            data=data,
            opts=self._child,
        )

    def _kibana_job(self, name: str, args: AlertRulesArgs, rule_maps: list[k8s.core.v1.ConfigMap], rules_hash: str) -> None:
        """The Job that applies the rules; `rules_hash` changes with any rule, so the Job is replaced and runs again."""
        sources: list[k8s.core.v1.VolumeProjectionArgsDict] = [
            {
                "config_map": {
                    "name": alert_rules_configmap(c.id),
                    # The folder name is the Kibana rule id the apply script uses.
                    "items": [
                        {"key": kibana_rule_key(a, body), "path": f"{kibana_rule_id(a, c)}/{body}.json"}
                        for a in ALERT_NAMES
                        for body in KIBANA_RULE_BODIES
                    ],
                }
            }
            for c in args.clusters
        ]
        pod: k8s.core.v1.PodSpecArgsDict = {
            "restart_policy": "OnFailure",
            "automount_service_account_token": False,
            "security_context": {"run_as_non_root": True, "run_as_user": 100, "seccomp_profile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": "apply",
                    "image": CURL_IMAGE,
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
