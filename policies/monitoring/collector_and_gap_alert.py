from __future__ import annotations

import json
from typing import Any

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from policies.framework import LOG_STORES, Check, Deferred, Report, stack_policy
from policies.lib.kubernetes import is_collector, string_leaves
from policies.lib.scope import SCOPE_SETTINGS, has_log_platform
from policies.lib.types import CONFIG_MAP, HELM_TYPES
from policies.lib.values import as_list, deps, get, known, provider_key

GAP_MARKERS = ("absent_over_time(", "absent(")


def _mentions_gap(value: Any) -> bool:

    return any(marker in text for _path, text in string_leaves(value) for marker in GAP_MARKERS)


def _kibana_count_below_one(text: str) -> bool:
    """A Kibana Elasticsearch-query rule (POST /api/alerting/rule body) that fires when fewer than one document
    arrived in its window."""
    try:
        rule = json.loads(text)
    except ValueError:
        return False
    params = rule.get("params") if isinstance(rule, dict) else None
    if not isinstance(params, dict) or params.get("thresholdComparator") not in ("<", "<="):
        return False
    threshold = [t for t in as_list(params.get("threshold")) if isinstance(t, int | float)]
    return bool(threshold) and (threshold[0] <= 1 if params["thresholdComparator"] == "<" else threshold[0] < 1)


def is_gap_alert(resource: PolicyResource) -> bool:
    """An alert that fires when logs stop arriving: a PrometheusRule or Loki ruler rule using absent()/absent_over_time(),
    a Kibana query rule on a document count below one, a Cloud Monitoring conditionAbsent, or a CloudWatch alarm that
    treats missing data as breaching."""
    t, props = resource.resource_type, resource.props
    if t == "kubernetes:monitoring.coreos.com/v1:PrometheusRule":
        return _mentions_gap(get(props, "spec"))
    if t == CONFIG_MAP:
        data = get(props, "data") or {}
        return _mentions_gap(data) or any(_kibana_count_below_one(text) for _key, text in string_leaves(data))
    if t in HELM_TYPES:
        return _mentions_gap(get(props, "values"))
    if t == "gcp:monitoring/alertPolicy:AlertPolicy":
        return any(get(c, "conditionAbsent") is not None for c in as_list(get(props, "conditions")))
    if t == "aws:cloudwatch/metricAlarm:MetricAlarm":
        return bool(get(props, "treatMissingData") == "breaching")
    return False


GKE_CLUSTER = "gcp:container/cluster:Cluster"


def _gke_logging(provider: PolicyResource) -> bool | None:
    """For a kubernetes provider whose kubeconfig comes from a GKE cluster of the stack: whether GKE ships the
    cluster's container logs to Cloud Logging (on by default: `logging_service` unset or logging.googleapis.com/kubernetes,
    `logging_config.enable_components` unset or naming WORKLOADS). None when the provider is not such a one."""
    if not provider.resource_type.startswith("pulumi:providers:"):
        return None
    gke = next(iter(deps(provider, "kubeconfig", GKE_CLUSTER)), None)
    if gke is None:
        return None
    if known(gke.props, "loggingService") == "none":
        return False
    components = known(gke.props, "loggingConfig", "enableComponents")
    return components is None or "WORKLOADS" in [str(c) for c in as_list(components)]


@stack_policy(
    name="collector-and-gap-alert",
    description="In a stack that runs a log platform (a logmesh component, a log backend or a collector), every Kubernetes "
    "cluster (each kubernetes provider, or the default one) runs a log collector, or is a GKE cluster of the stack with its "
    "built-in Cloud Logging on, and an alert fires when ingestion stops (absent_over_time / conditionAbsent / missing data).",
    criteria=("CC7.2", "CC7.3", "CC4.2"),
    anchors="logmesh (no public anchor for the gap alert)",
    severity=Severity.HIGH,
    remediation="Deploy the collector (Fluent Bit, Alloy or Filebeat) in every cluster and an alert rule on "
    "absent_over_time of the per-cluster ingestion rate.",
    domain="stack",
    applies_to=LOG_STORES,
    settings=SCOPE_SETTINGS,
)
def collector_and_gap_alert(args: StackValidationArgs, report: Report, check: Check) -> None:
    resources = list(args.resources)
    clusters: dict[str, PolicyResource] = {r.urn: r for r in resources if r.resource_type == "pulumi:providers:kubernetes"}
    workloads = [r for r in resources if r.resource_type.startswith("kubernetes:")]
    for r in workloads:
        if r.provider is None or r.provider.urn not in clusters:
            clusters.setdefault(provider_key(r), r)
    if not workloads or (check.settings["scope"] != "all" and not has_log_platform(resources)):
        return  # an application cluster outside the log platform's scope
    deferred = Deferred()
    collected: set[str] = set()
    alert = False
    for r in workloads:
        with deferred.each():
            if is_collector(r):
                collected.add(provider_key(r))
            if not alert and is_gap_alert(r):
                alert = True
    for r in resources:
        if not r.resource_type.startswith("kubernetes:") and is_gap_alert(r):
            alert = True
    collected |= {key for key, anchor in clusters.items() if _gke_logging(anchor) is True}
    for key, anchor in sorted(clusters.items(), key=lambda item: item[1].urn):
        if anchor.name in check.settings["not_log_stores"]:
            continue
        if key not in collected:
            label = anchor.name if anchor.resource_type.startswith("pulumi:providers:") else "(default provider)"
            off = " (its GKE cluster turns built-in Cloud Logging off)" if _gke_logging(anchor) is False else ""
            report(f"cluster {label} has no log collector{off}", anchor.urn)
    if not alert:
        anchor = min(clusters.values(), key=lambda r: r.urn)
        report("no alert fires on an ingestion gap (absent_over_time, conditionAbsent or missing-data alarm)", anchor.urn)
    deferred.finish()
