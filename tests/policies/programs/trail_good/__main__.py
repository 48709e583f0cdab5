"""CloudTrail trails that log, validate, encrypt with a customer key and are watched, the ways teams write it: an
EventBridge rule on every CloudTrail API call with an SNS target (rule referenced by name), a rule on the tampering
calls of one trail named by ARN, and the CloudWatch Logs route (metric filter and alarm, CIS AWS 4.5)."""

import json

import pulumi_aws as aws

key = aws.kms.Key("trail-key", enable_key_rotation=True)
topic = aws.sns.Topic("security-alerts")

org = aws.cloudtrail.Trail(
    "org-trail",
    name="org-trail",
    s3_bucket_name="acme-org-trail",
    kms_key_id=key.arn,
    enable_log_file_validation=True,
    is_multi_region_trail=True,
)
# Written with a separate alias resource: the trail names the key by its alias ARN.
alias = aws.kms.Alias("trail-key-alias", name="alias/trail", target_key_id=key.key_id)
aws.cloudtrail.Trail(
    "security-trail",
    name="security-trail",
    s3_bucket_name="acme-security-trail",
    kms_key_id=alias.arn,
    enable_logging=True,
    enable_log_file_validation=True,
)
every_call = aws.cloudwatch.EventRule(
    "cloudtrail-api-calls",
    name="cloudtrail-api-calls",
    event_pattern=json.dumps({"source": ["aws.cloudtrail"], "detail-type": ["AWS API Call via CloudTrail"]}),
)
aws.cloudwatch.EventTarget("cloudtrail-api-calls-to-sns", rule="cloudtrail-api-calls", arn=topic.arn)

# The CloudWatch Logs route.
group = aws.cloudwatch.LogGroup("trail-logs", name="/aws/cloudtrail/audit", retention_in_days=400, kms_key_id=key.arn)
aws.cloudtrail.Trail(
    "cloudwatch-trail",
    name="cloudwatch-trail",
    s3_bucket_name="acme-cloudwatch-trail",
    kms_key_id=key.arn,
    enable_log_file_validation=True,
    cloud_watch_logs_group_arn=group.arn.apply(lambda arn: f"{arn}:*"),
    cloud_watch_logs_role_arn="arn:aws:iam::123456789012:role/cloudtrail-to-cloudwatch",
)
aws.cloudwatch.LogMetricFilter(
    "trail-changes",
    log_group_name=group.name,
    pattern="{ ($.eventName = StopLogging) || ($.eventName = DeleteTrail) || ($.eventName = UpdateTrail) }",
    metric_transformation={"name": "TrailChanges", "namespace": "Security", "value": "1"},
)
aws.cloudwatch.MetricAlarm(
    "trail-changes",
    metric_name="TrailChanges",
    namespace="Security",
    statistic="Sum",
    period=300,
    evaluation_periods=1,
    threshold=1,
    comparison_operator="GreaterThanOrEqualToThreshold",
    alarm_actions=[topic.arn],
)
