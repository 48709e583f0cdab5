"""Stack-wide rules: GCP data-access audit logs (24), CloudTrail S3 data events (25), a collector in every cluster
and an ingestion-gap alert (32), and `approved-exceptions`, which must stay the pack's last policy."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

from pulumi_policy import EnforcementLevel, PolicyResource, Severity, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from policies import exceptions
from policies.common import (
    Check,
    Deferred,
    Report,
    as_list,
    deps,
    get,
    known,
    provider_key,
    stack_policy,
    strings,
)
from policies.kubernetes import CONFIG_MAP, HELM_TYPES, is_collector, string_leaves
from policies.storage import GCP_CRYPTO_KEY, GCS_BUCKET, S3View

AUDIT_CONFIG_TYPES = ("gcp:projects/iAMAuditConfig:IAMAuditConfig", "gcp:organizations/iAMAuditConfig:IAMAuditConfig",
                      "gcp:folder/iAMAuditConfig:IAMAuditConfig")
TRAIL = "aws:cloudtrail/trail:Trail"
_DOMAIN = "stack"


def _project(resource: PolicyResource) -> str:
    project = known(resource.props, "project")
    if not project and resource.provider is not None:
        project = known(resource.provider.props, "project")
    return str(project or "")


def _audited(configs: list[PolicyResource], project: str, service: str) -> bool:
    for config in configs:
        if get(config.props, "service") not in ("allServices", service):
            continue
        if config.resource_type.startswith("gcp:projects/"):
            scope = _project(config)
            if scope and project and scope != project:
                continue
        kinds = {str(get(c, "logType")) for c in as_list(get(config.props, "auditLogConfigs"))}
        if {"DATA_READ", "DATA_WRITE"} <= kinds:
            return True
    return False


@stack_policy(
    name="gcp-data-access-audit-logs",
    description="Data Access audit logs (DATA_READ and DATA_WRITE) are on for Cloud Storage and Cloud KMS in every "
                "project holding a log bucket or key (project, folder or organisation IAMAuditConfig, or allServices).",
    criteria=("CC7.2", "CC7.3", "A1.2"),
    anchors="Prowler iam_audit_logs_enabled",
    severity=Severity.MEDIUM,
    remediation="Add gcp.projects.IAMAuditConfig for storage.googleapis.com and cloudkms.googleapis.com with "
                "audit_log_configs DATA_READ and DATA_WRITE.",
    domain=_DOMAIN,
)
def gcp_data_access_audit_logs(args: StackValidationArgs, report: Report, check: Check) -> None:
    configs = [r for r in args.resources if r.resource_type in AUDIT_CONFIG_TYPES]
    services = {GCS_BUCKET: "storage.googleapis.com", GCP_CRYPTO_KEY: "cloudkms.googleapis.com"}
    deferred = Deferred()
    reported: set[tuple[str, str]] = set()
    for r in sorted(args.resources, key=lambda r: r.urn):
        if r.resource_type not in services:
            continue
        with deferred.each():
            project, service = _project(r), services[r.resource_type]
            if (project, service) not in reported and not _audited(configs, project, service):
                reported.add((project, service))
                report(f"project {project or '(provider default)'} has no DATA_READ/DATA_WRITE audit logs for {service}", r.urn)
    deferred.finish()


def _values(item: Any, *keys: str) -> list[str]:
    return [v for key in keys for v in strings(get(item, key))]


def _trail_covers(trail: PolicyResource, bucket_urn: str, names: set[str]) -> bool:
    """Whether a trail logs S3 object-level read and write events for the bucket. A selector whose values are
    unknown (preview) counts when it references the bucket; otherwise, if no other selector covers the bucket,
    the unknown value is raised so the analyzer reports it."""
    arns = {n if n.startswith("arn:") else f"arn:aws:s3:::{n}" for n in names}
    referenced = {d.urn for prop in ("eventSelectors", "advancedEventSelectors") for d in deps(trail, prop)}
    unknown: UnknownValueError | None = None

    def covers(values: Callable[[], list[str]]) -> bool:
        nonlocal unknown
        if bucket_urn in referenced:
            return True
        try:
            return any(v in ("arn:aws:s3", "arn:aws:s3:::") or v.rstrip("/") in arns or v.split("/", 1)[0] in arns for v in values())
        except UnknownValueError as error:
            unknown = unknown or error
            return False

    for selector in as_list(get(trail.props, "eventSelectors")):
        if (get(selector, "readWriteType") or "All") != "All":
            continue
        for data in as_list(get(selector, "dataResources")):
            if get(data, "type") == "AWS::S3::Object" and covers(partial(_values, data, "values")):
                return True
    for selector in as_list(get(trail.props, "advancedEventSelectors")):
        fields = {str(get(f, "field")): f for f in as_list(get(selector, "fieldSelectors"))}
        if "Data" not in strings(get(fields.get("eventCategory"), "equals")):
            continue
        if "AWS::S3::Object" not in strings(get(fields.get("resources.type"), "equals")) or "readOnly" in fields:
            continue
        arn_field = fields.get("resources.ARN")
        if arn_field is None or covers(partial(_values, arn_field, "startsWiths", "equals")):
            return True
    if unknown is not None:
        raise unknown
    return False


@stack_policy(
    name="cloudtrail-s3-data-events",
    description="A CloudTrail trail of the stack records S3 object-level read and write data events for every bucket "
                "(except the trail's own destination bucket).",
    criteria=("CC2.1", "CC7.2"),
    anchors="Prowler cloudtrail_s3_dataevents_read_enabled, cloudtrail_s3_dataevents_write_enabled",
    severity=Severity.MEDIUM,
    remediation="Add an aws.cloudtrail.Trail with an event selector (read_write_type All, data resource AWS::S3::Object "
                "on the bucket ARNs) or an advanced event selector for eventCategory Data, resources.type AWS::S3::Object.",
    domain=_DOMAIN,
)
def cloudtrail_s3_data_events(args: StackValidationArgs, report: Report, check: Check) -> None:
    resources = list(args.resources)
    view = S3View(resources)
    trails = [r for r in resources if r.resource_type == TRAIL]
    destinations = {str(known(t.props, "s3BucketName") or "") for t in trails}
    destination_urns = {d.urn for t in trails for d in deps(t, "s3BucketName")}
    deferred = Deferred()
    for bucket in view.buckets:
        if bucket.urn in destination_urns or bucket.names & destinations:
            continue
        with deferred.each():
            if not any(_trail_covers(t, bucket.urn, bucket.names) for t in trails):
                report(f"no CloudTrail trail records S3 data events for bucket {bucket.label}", bucket.urn)
    deferred.finish()


# --- rule 32 ----------------------------------------------------------------------------------------------------

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


@stack_policy(
    name="collector-and-gap-alert",
    description="Every Kubernetes cluster of the stack (each kubernetes provider, or the default one) runs a log "
                "collector, and an alert fires when ingestion stops (absent_over_time / conditionAbsent / missing data).",
    criteria=("CC7.2", "CC7.3", "CC4.2"),
    anchors="logmesh (no public anchor for the gap alert)",
    severity=Severity.HIGH,
    remediation="Deploy the collector (Fluent Bit, Alloy or Filebeat) in every cluster and an alert rule on "
                "absent_over_time of the per-cluster ingestion rate.",
    domain=_DOMAIN,
)
def collector_and_gap_alert(args: StackValidationArgs, report: Report, check: Check) -> None:
    resources = list(args.resources)
    clusters: dict[str, PolicyResource] = {r.urn: r for r in resources if r.resource_type == "pulumi:providers:kubernetes"}
    workloads = [r for r in resources if r.resource_type.startswith("kubernetes:")]
    for r in workloads:
        if r.provider is None or r.provider.urn not in clusters:
            clusters.setdefault(provider_key(r), r)
    if not workloads:
        return
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
    for key, anchor in sorted(clusters.items(), key=lambda item: item[1].urn):
        if key not in collected:
            label = anchor.name if anchor.resource_type.startswith("pulumi:providers:") else "(default provider)"
            report(f"cluster {label} has no log collector", anchor.urn)
    if not alert:
        anchor = min(clusters.values(), key=lambda r: r.urn)
        report("no alert fires on an ingestion gap (absent_over_time, conditionAbsent or missing-data alarm)", anchor.urn)
    deferred.finish()


# --- last: approved exceptions ------------------------------------------------------------------------------------

@stack_policy(
    name="approved-exceptions",
    description="Lists every violation that an approved, unexpired exception (policy config `exceptions`) turned into "
                "an accepted risk, with reason, approver and expiry. Advisory; must stay the pack's last policy.",
    criteria=("CC3.2", "CC9.1"),
    anchors="logmesh (risk acceptance record)",
    severity=Severity.LOW,
    remediation="Fix the excepted resource before the exception expires, or renew the approval in the policy config.",
    domain=_DOMAIN,
    enforcement_level=EnforcementLevel.ADVISORY,
)
def approved_exceptions(args: StackValidationArgs, report: Report, check: Check) -> None:
    for entry in exceptions.drain():
        report(exceptions.message_of(entry), entry["urn"])


POLICIES = [gcp_data_access_audit_logs, cloudtrail_s3_data_events, collector_and_gap_alert]
