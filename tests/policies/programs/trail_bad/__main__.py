"""CloudTrail trails with one flaw each, named for the flaw. Only `watched` is watched (by a rule on its ARN); the
other rules miss: no target, disabled, only StopLogging, or another trail."""

import json

import pulumi_aws as aws

key = aws.kms.Key("trail-key", enable_key_rotation=True)
topic = aws.sns.Topic("security-alerts")
good = {"s3_bucket_name": "acme-trail", "kms_key_id": key.arn, "enable_log_file_validation": True}


def rule(name: str, detail: dict, state: str = "ENABLED", target: bool = True) -> None:
    pattern = {"source": ["aws.cloudtrail"], "detail": {"eventSource": ["cloudtrail.amazonaws.com"], **detail}}
    created = aws.cloudwatch.EventRule(name, name=name, event_pattern=json.dumps(pattern), state=state)
    if target:
        aws.cloudwatch.EventTarget(f"{name}-target", rule=created.name, arn=topic.arn)


aws.cloudtrail.Trail("stopped", name="stopped", enable_logging=False, **good)
aws.cloudtrail.Trail("unvalidated", name="unvalidated", s3_bucket_name="acme-trail", kms_key_id=key.arn)
aws.cloudtrail.Trail("unencrypted", name="unencrypted", s3_bucket_name="acme-trail", enable_log_file_validation=True)
aws.cloudtrail.Trail("aws-managed-key", name="aws-managed-key", **{**good, "kms_key_id": "alias/aws/cloudtrail"})
aws.cloudtrail.Trail("watched", name="watched", **good)

rule("no-target", {"eventName": ["StopLogging", "DeleteTrail", "UpdateTrail"]}, target=False)
rule("disabled", {"eventName": ["StopLogging", "DeleteTrail", "UpdateTrail"]}, state="DISABLED")
rule("stop-only", {"eventName": ["StopLogging"]})
rule(
    "watches-one-trail",
    {
        "eventName": ["StopLogging", "DeleteTrail", "UpdateTrail"],
        "requestParameters": {"name": ["arn:aws:cloudtrail:us-east-1:123456789012:trail/watched"]},
    },
)
# A metric filter on the trail's log group without an alarm alerts no one.
aws.cloudtrail.Trail(
    "filter-without-alarm",
    name="filter-without-alarm",
    cloud_watch_logs_group_arn="arn:aws:logs:us-east-1:123456789012:log-group:/aws/cloudtrail/unwatched:*",
    **good,
)
aws.cloudwatch.LogMetricFilter(
    "unwatched-changes",
    log_group_name="/aws/cloudtrail/unwatched",
    pattern="{ ($.eventName = StopLogging) || ($.eventName = DeleteTrail) || ($.eventName = UpdateTrail) }",
    metric_transformation={"name": "TrailChanges", "namespace": "Security", "value": "1"},
)
