from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from pulumi_policy import PolicyResource, Severity, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from policies.framework import LOG_STORES, Check, Deferred, Report, stack_policy
from policies.lib.s3 import S3View
from policies.lib.scope import SCOPE_SETTINGS, log_stores
from policies.lib.types import TRAIL
from policies.lib.values import as_list, deps, get, known, strings


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
    description="A CloudTrail trail of the stack records S3 object-level read and write data events for every log store "
    "bucket (except the trail's own destination bucket).",
    criteria=("CC2.1", "CC7.2"),
    anchors="Prowler cloudtrail_s3_dataevents_read_enabled, cloudtrail_s3_dataevents_write_enabled",
    severity=Severity.MEDIUM,
    remediation="Add an aws.cloudtrail.Trail with an event selector (read_write_type All, data resource AWS::S3::Object "
    "on the bucket ARNs) or an advanced event selector for eventCategory Data, resources.type AWS::S3::Object.",
    domain="stack",
    applies_to=LOG_STORES,
    settings=SCOPE_SETTINGS,
)
def cloudtrail_s3_data_events(args: StackValidationArgs, report: Report, check: Check) -> None:
    resources = list(args.resources)
    view = S3View(resources)
    trails = [r for r in resources if r.resource_type == TRAIL]
    destinations = {str(known(t.props, "s3BucketName") or "") for t in trails}
    destination_urns = {d.urn for t in trails for d in deps(t, "s3BucketName")}
    deferred = Deferred()
    stores = log_stores(resources, check.settings)
    for bucket in view.judged(stores):
        if bucket.urn in destination_urns or bucket.names & destinations:
            continue
        with deferred.each():
            if not any(_trail_covers(t, bucket.urn, bucket.names) for t in trails):
                report(f"no CloudTrail trail records S3 data events for bucket {bucket.label}", bucket.urn)
    deferred.finish()
