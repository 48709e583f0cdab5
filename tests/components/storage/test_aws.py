"""AWS log stores of every example stack, read from the registered resources (types and wire inputs as the SDK
sends them): the S3 bucket, its policy, Object Lock and lifecycle, the access-logs bucket and CloudTrail."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest

from components.names import LOKI_DELETION_MARKER_PREFIX
from preflight.record.recording import Recording
from tests.helpers.store_lookups import (
    BUCKET,
    LIFECYCLE,
    S3,
    SSE,
    as_list,
    attached,
    bucket_name,
    child,
    children,
    document,
    parliament_findings,
    settings,
    statement,
    store_cases,
    store_component,
)

# --- a small evaluator for the Deny statements of a bucket policy ----------------------------------


def _matches(operator: str, context: dict[str, str], key: str, expected: Any) -> bool:
    present = key in context
    values = [str(v) for v in as_list(expected)]
    if operator == "Null":
        return (not present) == (values[0] == "true")
    actual = context.get(key)
    if operator == "Bool":
        return present and actual in values
    if operator == "StringEquals":
        return present and actual in values
    if operator in ("StringNotEquals", "ArnNotEquals"):
        return not present or actual not in values
    if operator in ("StringLike", "ArnLike"):
        return present and any(fnmatch.fnmatchcase(str(actual), v) for v in values)
    raise AssertionError(f"evaluator does not know condition operator {operator}")


def denied(policy: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> bool:
    for s in policy["Statement"]:
        if s["Effect"] != "Deny":
            continue
        if not any(fnmatch.fnmatchcase(action, a) for a in as_list(s["Action"])):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in as_list(s["Resource"])):
            continue
        if all(_matches(op, context, k, v) for op, block in s.get("Condition", {}).items() for k, v in block.items()):
            return True
    return False


@pytest.mark.parametrize(("example", "store_name"), store_cases("aws"), indirect=["example"])
def test_aws_store_bucket(example: Recording, store_name: str) -> None:
    config, store_config, _ = settings(example, store_name)
    store = store_component(example, store_name)
    name = bucket_name(config, store_config, "logs")
    bucket = child(example, store, BUCKET, bucket=name)
    key = child(example, store, "aws:kms/key:Key")
    immutable = config["logmesh:retention"]["immutable"]
    assert bucket.inputs["objectLockEnabled"] is immutable
    # Its objects are encrypted with the key: the key's deletion waits until the bucket is gone (and stops if the
    # bucket's deletion fails), so no object is left that nobody can decrypt.
    assert key.urn in bucket.dependencies
    # CloudTrail's log files in the access-logs bucket are encrypted with the key too.
    assert key.urn in child(example, store, BUCKET, bucket=bucket_name(config, store_config, "access-logs")).dependencies

    (sse_rule,) = attached(example, store, SSE, name).inputs["rules"]
    assert sse_rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key.outputs["arn"]}
    assert sse_rule["bucketKeyEnabled"] is True
    assert sse_rule["blockedEncryptionTypes"] == ["SSE-C"]

    versioning = attached(example, store, S3 + "bucketVersioning:BucketVersioning", name)
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    ownership = attached(example, store, S3 + "bucketOwnershipControls:BucketOwnershipControls", name)
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    block = attached(example, store, S3 + "bucketPublicAccessBlock:BucketPublicAccessBlock", name)
    for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert block.inputs[flag] is True, flag


@pytest.mark.parametrize(("example", "store_name"), store_cases("aws"), indirect=["example"])
def test_aws_store_bucket_policy_denies_plain_http_and_foreign_encryption_but_not_the_default(example: Recording, store_name: str) -> None:
    config, store_config, _ = settings(example, store_name)
    store = store_component(example, store_name)
    name = bucket_name(config, store_config, "logs")
    key_arn = child(example, store, "aws:kms/key:Key").outputs["arn"]
    registration = attached(example, store, S3 + "bucketPolicy:BucketPolicy", name)
    policy = document(registration)
    bucket_arn, obj = f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/tenant/chunk"
    tls = {"aws:SecureTransport": "true"}

    assert denied(policy, "s3:GetObject", obj, {"aws:SecureTransport": "false"})
    assert denied(policy, "s3:ListBucket", bucket_arn, {"aws:SecureTransport": "false"})
    # Loki and Elasticsearch's repository-s3 (without server_side_encryption) send no header: bucket default.
    assert not denied(policy, "s3:PutObject", obj, tls)
    assert not denied(policy, "s3:PutObject", obj, {**tls, "s3:x-amz-server-side-encryption": "aws:kms"})
    assert not denied(
        policy,
        "s3:PutObject",
        obj,
        {**tls, "s3:x-amz-server-side-encryption": "aws:kms", "s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn},
    )
    assert denied(policy, "s3:PutObject", obj, {**tls, "s3:x-amz-server-side-encryption": "AES256"})
    assert denied(
        policy,
        "s3:PutObject",
        obj,
        {**tls, "s3:x-amz-server-side-encryption": "aws:kms", "s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn + "-other"},
    )
    assert not denied(policy, "s3:GetObject", obj, tls)
    assert all(s["Effect"] == "Deny" for s in policy["Statement"]), "the bucket policy grants nothing; IAM and the key do"
    assert parliament_findings(policy, "bucket policy") == []


@pytest.mark.parametrize(("example", "store_name"), store_cases("aws"), indirect=["example"])
def test_aws_object_lock_follows_the_environment(example: Recording, store_name: str) -> None:
    config, store_config, _ = settings(example, store_name)
    store = store_component(example, store_name)
    name = bucket_name(config, store_config, "logs")
    retention = config["logmesh:retention"]
    locks = children(example, store, S3 + "bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    if not retention["immutable"]:
        assert locks == []
        return
    (lock,) = locks
    assert lock.inputs["bucket"] == name
    assert lock.inputs["objectLockEnabled"] == "Enabled"
    expected_mode = "COMPLIANCE" if config["logmesh:environment"] == "prod" else "GOVERNANCE"
    assert lock.inputs["rule"]["defaultRetention"] == {"mode": expected_mode, "days": retention["archive_days"]}
    versioning = attached(example, store, S3 + "bucketVersioning:BucketVersioning", name)
    assert versioning.urn in lock.dependencies, "object lock needs versioning first"


@pytest.mark.parametrize(("example", "store_name"), store_cases("aws"), indirect=["example"])
def test_aws_lifecycle_targets_tenant_prefixes_and_never_expires_live_objects_bucket_wide(example: Recording, store_name: str) -> None:
    config, store_config, tenants = settings(example, store_name)
    store = store_component(example, store_name)
    retention = config["logmesh:retention"]
    rules = attached(example, store, LIFECYCLE, bucket_name(config, store_config, "logs")).inputs["rules"]
    assert all(r["status"] == "Enabled" for r in rules)
    by_prefix = {r["filter"]["prefix"]: r for r in rules if r["filter"]["prefix"]}
    assert set(by_prefix) == {f"{t}/" for t in tenants}
    # Loki's deletion markers: no rule expires them (only noncurrent versions go, after Loki deleted a marker).
    assert not [p for p in by_prefix if LOKI_DELETION_MARKER_PREFIX.startswith(p) or p.startswith(LOKI_DELETION_MARKER_PREFIX)]
    backstop = min(retention["hot_days"] + 1, retention["archive_days"])
    for rule in by_prefix.values():
        # Chunks are noncurrent from hot_days (the backend's delete) or backstop (this rule's expiration) on; only
        # noncurrent versions move to the colder class.
        assert "transitions" not in rule
        assert rule["noncurrentVersionTransitions"] == [{"noncurrentDays": 1, "storageClass": "GLACIER_IR"}]
        assert rule["expiration"] == {"days": backstop}

    bucket_wide = [r for r in rules if r["filter"]["prefix"] == ""]
    for rule in bucket_wide:
        # Never expire (or move) a current object bucket-wide: the backend's index lives there too.
        assert "transitions" not in rule
        assert set(rule.get("expiration", {})) <= {"expiredObjectDeleteMarker"}
    assert any(r.get("abortIncompleteMultipartUpload", {}).get("daysAfterInitiation", 0) > 0 for r in bucket_wide)
    noncurrent = [r["noncurrentVersionExpiration"]["noncurrentDays"] for r in bucket_wide if "noncurrentVersionExpiration" in r]
    assert len(noncurrent) == 1
    assert retention["hot_days"] + noncurrent[0] == retention["archive_days"]
    assert backstop + noncurrent[0] == retention["archive_days"] + 1, "kept at most a day longer than archive_days"


@pytest.mark.parametrize(("example", "store_name"), store_cases("aws"), indirect=["example"])
def test_aws_access_logs_bucket(example: Recording, store_name: str) -> None:
    config, store_config, _ = settings(example, store_name)
    store = store_component(example, store_name)
    store_bucket = bucket_name(config, store_config, "logs")
    name = bucket_name(config, store_config, "access-logs")
    bucket = child(example, store, BUCKET, bucket=name)
    # S3 cannot deliver server access logs to an object-locked bucket; SSE-S3 is what AWS documents for it.
    assert bucket.inputs["objectLockEnabled"] is False
    (sse_rule,) = attached(example, store, SSE, name).inputs["rules"]
    assert sse_rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    assert attached(example, store, S3 + "bucketVersioning:BucketVersioning", name).inputs["versioningConfiguration"]["status"] == "Enabled"
    assert attached(example, store, S3 + "bucketOwnershipControls:BucketOwnershipControls", name).inputs["rule"] == {
        "objectOwnership": "BucketOwnerEnforced"
    }
    block = attached(example, store, S3 + "bucketPublicAccessBlock:BucketPublicAccessBlock", name)
    assert all(block.inputs[f] is True for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))

    policy = document(attached(example, store, S3 + "bucketPolicy:BucketPolicy", name))
    assert denied(policy, "s3:GetObject", f"arn:aws:s3:::{name}/x", {"aws:SecureTransport": "false"})
    # No Object Lock here: the bucket policy stops every delete, by anyone, over TLS or not; only lifecycle
    # expiration (S3 itself, not subject to the bucket policy) removes a log.
    tls = {"aws:SecureTransport": "true"}
    for action in ("s3:DeleteObject", "s3:DeleteObjectVersion"):
        for key in (f"{store_bucket}/2026-01-01-00-00-00-ABCDEF", "cloudtrail/AWSLogs/x.json.gz"):
            assert denied(policy, action, f"arn:aws:s3:::{name}/{key}", tls)
    assert statement(policy, "DenyEarlyDeletion")["Principal"] == "*"
    assert "Condition" not in statement(policy, "DenyEarlyDeletion")
    # Log delivery and CloudTrail still write.
    assert not denied(policy, "s3:PutObject", f"arn:aws:s3:::{name}/{store_bucket}/2026-01-01-00-00-00-ABCDEF", tls)
    assert not denied(policy, "s3:PutObject", f"arn:aws:s3:::{name}/cloudtrail/AWSLogs/{store_config['account_id']}/x.json.gz", tls)
    assert not denied(policy, "s3:GetBucketAcl", f"arn:aws:s3:::{name}", tls)
    delivery = statement(policy, "S3ServerAccessLogsOfTheStoreBucket")
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Condition"]["ArnLike"]["aws:SourceArn"] == f"arn:aws:s3:::{store_bucket}"
    assert delivery["Condition"]["StringEquals"]["aws:SourceAccount"] == store_config["account_id"]
    trail = child(example, store, "aws:cloudtrail/trail:Trail")
    for sid in ("CloudTrailChecksTheBucketAcl", "CloudTrailWritesLogFiles"):
        assert statement(policy, sid)["Condition"]["StringEquals"]["aws:SourceArn"] == trail.outputs["arn"]
    assert parliament_findings(policy, "bucket policy") == []

    rules = attached(example, store, LIFECYCLE, name).inputs["rules"]
    expiring = {r["filter"]["prefix"]: r["expiration"]["days"] for r in rules if "days" in r.get("expiration", {})}
    archive_days = config["logmesh:retention"]["archive_days"]
    assert expiring == {f"{store_bucket}/": archive_days, "cloudtrail/": archive_days}
    # Nothing can delete a log early, so the only noncurrent versions are the ones the expiration leaves: a day later
    # they are gone, so a log is kept at most archive_days + 1.
    noncurrent = {
        r["filter"]["prefix"]: r["noncurrentVersionExpiration"]["noncurrentDays"] for r in rules if "noncurrentVersionExpiration" in r
    }
    assert noncurrent == {f"{store_bucket}/": 1, "cloudtrail/": 1}

    logging = child(example, store, S3 + "bucketLogging:BucketLogging")
    assert logging.inputs == {"bucket": store_bucket, "targetBucket": name, "targetPrefix": f"{store_bucket}/"}


@pytest.mark.parametrize(("example", "store_name"), store_cases("aws"), indirect=["example"])
def test_aws_cloudtrail_records_every_read_and_write_on_the_store_bucket(example: Recording, store_name: str) -> None:
    config, store_config, _ = settings(example, store_name)
    store = store_component(example, store_name)
    store_bucket = bucket_name(config, store_config, "logs")
    trail = child(example, store, "aws:cloudtrail/trail:Trail")
    key = child(example, store, "aws:kms/key:Key")
    assert trail.inputs["kmsKeyId"] == key.outputs["arn"]
    assert trail.inputs["enableLogFileValidation"] is True
    assert trail.inputs["enableLogging"] is True
    # Delivered to the access-logs bucket, never to the bucket it watches.
    assert trail.inputs["s3BucketName"] == bucket_name(config, store_config, "access-logs")
    (selector,) = trail.inputs["advancedEventSelectors"]
    fields = {f["field"]: f for f in selector["fieldSelectors"]}
    assert fields["eventCategory"]["equals"] == ["Data"]
    assert fields["resources.type"]["equals"] == ["AWS::S3::Object"]
    assert fields["resources.ARN"]["startsWiths"] == [f"arn:aws:s3:::{store_bucket}/"]
    assert "readOnly" not in fields, "both read and write events"


@pytest.mark.parametrize(("example", "store_name"), store_cases("aws"), indirect=["example"])
def test_aws_store_trail_alerts_when_it_is_stopped_deleted_or_changed(example: Recording, store_name: str) -> None:
    store = store_component(example, store_name)
    trail = child(example, store, "aws:cloudtrail/trail:Trail")
    rule = child(example, store, "aws:cloudwatch/eventRule:EventRule")
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern["source"] == ["aws.cloudtrail"] and pattern["detail-type"] == ["AWS API Call via CloudTrail"]
    assert {"StopLogging", "DeleteTrail", "UpdateTrail"} <= set(pattern["detail"]["eventName"])
    assert trail.inputs["name"] in pattern["detail"]["requestParameters"]["name"]
    assert rule.inputs["description"].endswith("runbook: docs/runbooks.md#trail-tampering")  # tests/docs/test_runbooks.py
    target = child(example, store, "aws:cloudwatch/eventTarget:EventTarget")
    topic = child(example, store, "aws:sns/topic:Topic")
    assert target.inputs["rule"] == rule.inputs["name"] and target.inputs["arn"] == topic.outputs["arn"]
    # Only this rule may publish to the topic.
    policy = json.loads(child(example, store, "aws:sns/topicPolicy:TopicPolicy").inputs["policy"])
    (grant,) = policy["Statement"]
    assert grant["Principal"] == {"Service": "events.amazonaws.com"} and grant["Action"] == "sns:Publish"
    assert grant["Condition"] == {"ArnEquals": {"aws:SourceArn": rule.outputs["arn"]}}
