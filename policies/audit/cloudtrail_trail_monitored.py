from __future__ import annotations

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from policies.framework import Check, Deferred, Report, stack_policy
from policies.lib.types import EVENT_RULE, EVENT_TARGET, LOG_METRIC_FILTER, METRIC_ALARM, TRAIL
from policies.lib.values import as_list, deps, get, json_document, known, provider_key, strings

TAMPERING = ("StopLogging", "DeleteTrail", "UpdateTrail")


def _rule_watches(rule: PolicyResource, trail_names: set[str]) -> bool:
    """An EventBridge rule that matches the CloudTrail API calls that stop or change a trail (all of them, or
    these), for every trail or this one."""
    pattern = json_document(get(rule.props, "eventPattern")) or {}
    if str(get(rule.props, "state") or "ENABLED") == "DISABLED":
        return False
    detail = get(pattern, "detail") or {}
    sources = strings(get(pattern, "source")) + strings(get(detail, "eventSource"))
    if not {"aws.cloudtrail", "cloudtrail.amazonaws.com"} & set(sources):
        return False
    names = strings(get(detail, "eventName"))
    if names and not set(TAMPERING) <= set(names):
        return False
    trails = strings(get(detail, "requestParameters", "name"))
    return not trails or any(t in trail_names or t.rsplit("/", 1)[-1] in trail_names for t in trails)


def _targeted(rule: PolicyResource, targets: list[PolicyResource]) -> bool:
    names = {str(known(rule.props, "name") or rule.name), rule.name}
    return any(rule.urn in {d.urn for d in deps(t, "rule")} or str(known(t.props, "rule") or "") in names for t in targets)


def _alarmed(trail: PolicyResource, resources: list[PolicyResource]) -> bool:
    """A metric filter on the trail's log group that matches the tampering calls, with an alarm that notifies."""
    group = str(get(trail.props, "cloudWatchLogsGroupArn") or "")
    group_name = group.split(":log-group:", 1)[-1].removesuffix(":*")
    group_urns = {d.urn for d in deps(trail, "cloudWatchLogsGroupArn")}
    alarms = [r for r in resources if r.resource_type == METRIC_ALARM and as_list(get(r.props, "alarmActions"))]
    for f in (r for r in resources if r.resource_type == LOG_METRIC_FILTER):
        same_group = {d.urn for d in deps(f, "logGroupName")} & group_urns
        if not same_group and str(known(f.props, "logGroupName") or "") != group_name:
            continue
        if not all(call in str(get(f.props, "pattern") or "") for call in TAMPERING):
            continue
        metrics = {str(get(m, "name")) for m in as_list(get(f.props, "metricTransformation"))}
        if any(str(get(a.props, "metricName") or "") in metrics for a in alarms):
            return True
    return False


@stack_policy(
    name="cloudtrail-trail-monitored",
    description="Stopping, deleting or changing a CloudTrail trail raises an alert: an EventBridge rule with a target "
    "matches StopLogging/DeleteTrail/UpdateTrail, or the trail's CloudWatch Logs group has a metric filter and alarm on them.",
    criteria=("CC7.2", "CC7.3"),
    anchors="Prowler cloudtrail_cloudwatch_logging_enabled; checkov CKV2_AWS_10; CIS AWS 4.5",
    severity=Severity.MEDIUM,
    remediation="Add an aws.cloudwatch.EventRule matching source aws.cloudtrail, eventName StopLogging, DeleteTrail and "
    "UpdateTrail, with an aws.cloudwatch.EventTarget (an SNS topic on call); or set cloud_watch_logs_group_arn and add "
    "an aws.cloudwatch.LogMetricFilter on those calls with an aws.cloudwatch.MetricAlarm that has alarm_actions.",
    domain="stack",
)
def cloudtrail_trail_monitored(args: StackValidationArgs, report: Report, check: Check) -> None:
    resources = list(args.resources)
    targets = [r for r in resources if r.resource_type == EVENT_TARGET]
    deferred = Deferred()
    for trail in (r for r in resources if r.resource_type == TRAIL):
        with deferred.each():
            names = {str(known(trail.props, "name") or trail.name), trail.name}
            rules = [r for r in resources if r.resource_type == EVENT_RULE and provider_key(r) == provider_key(trail)]
            if any(_rule_watches(r, names) and _targeted(r, targets) for r in rules):
                continue
            if get(trail.props, "cloudWatchLogsGroupArn") and _alarmed(trail, resources):
                continue
            report(
                "nothing alerts when the trail is stopped, deleted or changed (no EventBridge rule with a target, "
                "no CloudWatch Logs metric filter and alarm on StopLogging/DeleteTrail/UpdateTrail)",
                trail.urn,
            )
    deferred.finish()
