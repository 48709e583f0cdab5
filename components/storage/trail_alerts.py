"""The alert on the store's own CloudTrail trail: an EventBridge rule on the CloudTrail API calls that stop, delete or
change the trail, published to an SNS topic that on-call subscribes to (SOC 2 CC7.2/CC7.3: the audit trail is itself
monitored). EventBridge receives these calls because the account has a trail with logging on (this one)."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from components.alerts.catalog import TRAIL_TAMPERING, runbook_url

# Every CloudTrail call that silences or narrows a trail.
TRAIL_TAMPERING_CALLS = ("StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors")


def trail_tampering_pattern(trail_name: str, trail_arn: str) -> dict[str, Any]:
    """The EventBridge pattern for those calls on this trail (callers name a trail by name or by ARN)."""
    return {
        "source": ["aws.cloudtrail"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {
            "eventSource": ["cloudtrail.amazonaws.com"],
            "eventName": list(TRAIL_TAMPERING_CALLS),
            "requestParameters": {"name": [trail_name, trail_arn]},
        },
    }


def topic_policy(topic_arn: str, rule_arn: str) -> dict[str, Any]:
    """Only this rule's EventBridge deliveries may publish to the topic."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EventBridgePublishesTrailAlerts",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
            }
        ],
    }


def create_trail_alert(name: str, *, trail_name: str, trail_arn: str, child: pulumi.ResourceOptions) -> aws.sns.Topic:
    """Returns the topic: subscribe the on-call channel to it (docs/alerts.md)."""
    topic = aws.sns.Topic(f"{name}-trail-alerts", name=f"{trail_name}-alerts", opts=child)
    rule = aws.cloudwatch.EventRule(
        f"{name}-trail-tampering",
        name=f"{trail_name}-tampering",
        description=f"CloudTrail trail {trail_name} stopped, deleted or changed; runbook: {runbook_url(TRAIL_TAMPERING)}",
        event_pattern=json.dumps(trail_tampering_pattern(trail_name, trail_arn)),
        opts=child,
    )
    aws.sns.TopicPolicy(
        f"{name}-trail-alerts-policy",
        arn=topic.arn,
        policy=pulumi.Output.all(topic.arn, rule.arn).apply(lambda arns: json.dumps(topic_policy(arns[0], arns[1]))),
        opts=child,
    )
    aws.cloudwatch.EventTarget(f"{name}-trail-tampering-alert", rule=rule.name, arn=topic.arn, opts=child)
    return topic
