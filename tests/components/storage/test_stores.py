"""Log stores on both clouds, every example stack: each setting the storage issue asks for, read from the
registered resources (types and wire inputs as the SDK sends them)."""

from __future__ import annotations

import fnmatch
from typing import Any

import pytest

from preflight.mocks import RealisticMocks
from preflight.recorder import Recording, Registration
from tests.harness import run_stack, stack_config
from tests.helpers.store_lookups import (
    EXAMPLE_STORES,
    as_list,
    child,
    children,
    document,
    gcs_service_agent,
    parliament_findings,
    statement,
    store_cases,
    store_component,
)

S3 = "aws:s3/"
SSE = S3 + "bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
LIFECYCLE = S3 + "bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET = "aws:s3/bucket:Bucket"
GCS_BUCKET = "gcp:storage/bucket:Bucket"
GCS_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"


def settings(recording: Recording, store_name: str) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """(stack config, store config, tenant names) as the stack file declares them."""
    config = stack_config(recording.stack)
    store = next(s for s in config["logmesh:stores"] if s["name"] == store_name)
    clouds = {s["cloud"] for s in config["logmesh:stores"]}
    tenants = []
    for cluster in config["logmesh:clusters"]:
        target = cluster.get("store") or next(s["name"] for s in config["logmesh:stores"] if s["cloud"] == cluster["cloud"])
        if target == store_name:
            tenants.append(cluster["name"])
    assert store["cloud"] in clouds
    return config, store, tenants


def bucket_name(config: dict[str, Any], store: dict[str, Any], suffix: str) -> str:
    return f"{config['logmesh:org']}-{config['logmesh:environment']}-{store['name']}-{suffix}"


def attached(recording: Recording, store: Registration, type_: str, bucket: str) -> Registration:
    return child(recording, store, type_, bucket=bucket)


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


# --- both clouds --------------------------------------------------------------------------------


def test_example_stores_cover_both_clouds_and_every_stack() -> None:
    assert {(stack, cloud) for stack, cloud, _ in EXAMPLE_STORES} == {
        ("dev", "aws"),
        ("staging", "aws"),
        ("staging", "gcp"),
        ("prod", "aws"),
        ("prod", "gcp"),
    }


@pytest.mark.parametrize(("example", "store_name"), store_cases(), indirect=["example"])
def test_every_store_resource_uses_the_store_provider_and_is_parented(example: Recording, store_name: str) -> None:
    store = store_component(example, store_name)
    cloud = "aws" if store.type.endswith("AwsLogStore") else "gcp"
    providers = [r for r in example.resources if r.type == f"pulumi:providers:{cloud}" and r.name == f"{store_name}-{cloud}"]
    assert len(providers) == 1
    reference = f"{providers[0].urn}::{providers[0].id}"
    platform = example.of_type("logmesh:platform:LogPlatform")[0]
    assert store.parent == platform.urn
    resources = [r for r in example.resources if r.parent == store.urn]
    assert len(resources) > 10
    for resource in resources:
        assert resource.custom, resource.type
        assert resource.provider == reference, f"{resource.type} {resource.name} uses {resource.provider}"


@pytest.mark.parametrize(("example", "store_name"), store_cases(), indirect=["example"])
def test_buckets_are_never_force_destroyed(example: Recording, store_name: str) -> None:
    store = store_component(example, store_name)
    buckets = children(example, store, BUCKET) + children(example, store, GCS_BUCKET)
    assert len(buckets) in (2, 3)
    for bucket in buckets:
        assert bucket.inputs["forceDestroy"] is False


# --- AWS ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("example", "store_name"), store_cases("aws"), indirect=["example"])
def test_aws_store_bucket(example: Recording, store_name: str) -> None:
    config, store_config, _ = settings(example, store_name)
    store = store_component(example, store_name)
    name = bucket_name(config, store_config, "logs")
    bucket = child(example, store, BUCKET, bucket=name)
    key = child(example, store, "aws:kms/key:Key")
    immutable = config["logmesh:retention"]["immutable"]
    assert bucket.inputs["objectLockEnabled"] is immutable

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
def test_aws_store_bucket_policy_denies_plain_http_and_foreign_encryption_but_not_the_default(
    example: Recording, store_name: str
) -> None:
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


# --- GCP ----------------------------------------------------------------------------------------


def gcs_buckets(recording: Recording, store: Registration, config: dict[str, Any], store_config: dict[str, Any]) -> dict[str, Registration]:
    return {
        suffix: child(recording, store, GCS_BUCKET, name=bucket_name(config, store_config, suffix))
        for suffix in ("logs", "archive", "access-logs")
    }


@pytest.mark.parametrize(("example", "store_name"), store_cases("gcp"), indirect=["example"])
def test_gcs_buckets_are_private_cmek_and_wait_for_the_key_grant(example: Recording, store_name: str) -> None:
    config, store_config, _ = settings(example, store_name)
    store = store_component(example, store_name)
    key = child(example, store, "gcp:kms/cryptoKey:CryptoKey")
    grant = child(example, store, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
    # The agent the provider reports for the project: asking for it creates it (a grant to its address alone fails
    # in a project that never asked).
    assert grant.inputs["member"] == gcs_service_agent(store_config["project"])
    assert grant.inputs["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    for bucket in gcs_buckets(example, store, config, store_config).values():
        assert bucket.inputs["encryption"] == {"defaultKmsKeyName": key.id}
        assert bucket.inputs["uniformBucketLevelAccess"] is True
        assert bucket.inputs["publicAccessPrevention"] == "enforced"
        # Soft delete guards buckets that allow deletes; under a retention policy it would only keep expired logs.
        soft_delete = bucket.inputs["softDeletePolicy"]["retentionDurationSeconds"]
        assert soft_delete == (0 if "retentionPolicy" in bucket.inputs else 7 * 86400)
        assert bucket.inputs["location"] == store_config["region"]
        assert bucket.inputs["project"] == store_config["project"]
        assert grant.urn in bucket.dependencies
    members = [m.inputs["member"] for m in children(example, store, GCS_MEMBER)]
    assert not [m for m in members if m in ("allUsers", "allAuthenticatedUsers")]


@pytest.mark.parametrize(("example", "store_name"), store_cases("gcp"), indirect=["example"])
def test_gcs_working_bucket_is_versioned_logged_and_expires_only_tenant_prefixes(example: Recording, store_name: str) -> None:
    config, store_config, tenants = settings(example, store_name)
    store = store_component(example, store_name)
    retention = config["logmesh:retention"]
    buckets = gcs_buckets(example, store, config, store_config)
    working = buckets["logs"]
    assert working.inputs["versioning"] == {"enabled": True}
    assert "retentionPolicy" not in working.inputs, "the backend deletes and overwrites in this bucket"
    assert working.inputs["logging"] == {"logBucket": buckets["access-logs"].inputs["name"], "logObjectPrefix": working.inputs["name"]}
    prefixes = sorted(f"{t}/" for t in tenants)
    rules = working.inputs["lifecycleRules"]
    # A working copy leaves within a week of hot_days: no colder class (each has a minimum storage duration).
    assert [r for r in rules if r["action"]["type"] != "Delete"] == []
    deletes = [r["condition"] for r in rules]
    live = [c for c in deletes if c.get("withState") != "ARCHIVED"]
    assert len(live) == 1
    # The backstop for a backend that failed to delete at hot_days, as on S3.
    assert live[0]["age"] == min(retention["hot_days"] + 1, retention["archive_days"])
    assert sorted(live[0]["matchesPrefixes"]) == prefixes, "never delete a live object outside the tenant prefixes"
    noncurrent = [c for c in deletes if c.get("withState") == "ARCHIVED"]
    assert sorted(noncurrent, key=sorted) == [
        {"age": retention["archive_days"], "withState": "ARCHIVED"},
        {"daysSinceNoncurrentTime": 7, "withState": "ARCHIVED"},
    ]


@pytest.mark.parametrize(("example", "store_name"), store_cases("gcp"), indirect=["example"])
def test_gcs_archive_bucket_keeps_every_object_archive_days_under_retention(example: Recording, store_name: str) -> None:
    config, store_config, _ = settings(example, store_name)
    store = store_component(example, store_name)
    retention = config["logmesh:retention"]
    archive = gcs_buckets(example, store, config, store_config)["archive"]
    assert retention["immutable"] is True, "both example stacks with GCP stores are immutable"
    policy = archive.inputs["retentionPolicy"]
    assert int(policy["retentionPeriod"]) == retention["archive_days"] * 86400
    assert policy["isLocked"] is (config["logmesh:environment"] == "prod")
    # GCS does not allow versioning beside a retention policy.
    assert archive.inputs.get("versioning", {"enabled": False}) == {"enabled": False}
    rules = archive.inputs["lifecycleRules"]
    assert [r["condition"] for r in rules if r["action"]["type"] == "Delete"] == [{"age": retention["archive_days"]}]
    (cold,) = [r for r in rules if r["action"]["type"] == "SetStorageClass"]
    assert cold["condition"]["age"] == retention["hot_days"]
    assert archive.inputs["logging"]["logObjectPrefix"] == archive.inputs["name"]


@pytest.mark.parametrize(("example", "store_name"), store_cases("gcp"), indirect=["example"])
def test_gcs_transfer_job_copies_working_into_archive_daily_without_deleting_or_overwriting(example: Recording, store_name: str) -> None:
    config, store_config, _ = settings(example, store_name)
    store = store_component(example, store_name)
    buckets = gcs_buckets(example, store, config, store_config)
    job = child(example, store, "gcp:storage/transferJob:TransferJob")
    spec = job.inputs["transferSpec"]
    assert spec["gcsDataSource"] == {"bucketName": buckets["logs"].inputs["name"]}
    assert spec["gcsDataSink"] == {"bucketName": buckets["archive"].inputs["name"]}
    assert spec["transferOptions"] == {
        "overwriteWhen": "NEVER",
        "deleteObjectsUniqueInSink": False,
        "deleteObjectsFromSourceAfterTransfer": False,
    }
    assert job.inputs["status"] == "ENABLED"
    assert job.inputs["schedule"]["repeatInterval"] == "86400s"
    assert job.inputs["project"] == store_config["project"]

    agent = f"serviceAccount:project-{store_config['project_number']}@storage-transfer-service.iam.gserviceaccount.com"
    grants = [m for m in children(example, store, GCS_MEMBER) if m.inputs["member"] == agent]
    roles = {(m.inputs["bucket"], m.inputs["role"]) for m in grants}
    working, archive = buckets["logs"].inputs["name"], buckets["archive"].inputs["name"]
    assert roles == {
        (working, "roles/storage.objectViewer"),
        (working, "roles/storage.legacyBucketReader"),
        (archive, "roles/storage.objectCreator"),
        (archive, "roles/storage.legacyBucketReader"),
    }
    assert {g.urn for g in grants} <= set(job.dependencies)


@pytest.mark.parametrize(("example", "store_name"), store_cases("gcp"), indirect=["example"])
def test_gcs_access_logs_bucket_and_data_access_audit_logs(example: Recording, store_name: str) -> None:
    config, store_config, _ = settings(example, store_name)
    store = store_component(example, store_name)
    buckets = gcs_buckets(example, store, config, store_config)
    access = buckets["access-logs"]
    # Audit evidence, written once: the same retention policy as the archive (locked in prod).
    assert access.inputs["retentionPolicy"] == buckets["archive"].inputs["retentionPolicy"]
    assert "versioning" not in access.inputs
    assert "logging" not in access.inputs
    (expiry,) = [r["condition"] for r in access.inputs["lifecycleRules"] if "age" in r["condition"]]
    assert expiry["age"] == config["logmesh:retention"]["archive_days"]
    assert sorted(expiry["matchesPrefixes"]) == sorted(b.inputs["name"] for k, b in buckets.items() if k != "access-logs")
    writer = child(example, store, GCS_MEMBER, bucket=access.inputs["name"])
    assert writer.inputs["member"] == "group:cloud-storage-analytics@google.com"
    assert writer.inputs["role"] == "roles/storage.objectCreator"

    audits = {a.inputs["service"]: a for a in children(example, store, "gcp:projects/iAMAuditConfig:IAMAuditConfig")}
    assert set(audits) == {"storage.googleapis.com", "cloudkms.googleapis.com"}
    for audit in audits.values():
        assert audit.inputs["project"] == store_config["project"]
        assert sorted(c["logType"] for c in audit.inputs["auditLogConfigs"]) == ["ADMIN_READ", "DATA_READ", "DATA_WRITE"]


TRANSFER_AGENT_LOOKUP = "gcp:storage/getTransferProjectServiceAccount:getTransferProjectServiceAccount"


def test_transfer_grants_wait_until_gcp_has_the_storage_transfer_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    """GCP creates the agent when asked for it; when it cannot produce it (here: the lookup fails, as with the Storage
    Transfer API disabled), no grant to its address may be attempted, because that grant would fail half-way."""
    answer = RealisticMocks.call

    def without_transfer_agent(self: RealisticMocks, args: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token == TRANSFER_AGENT_LOOKUP:
            return {}, [("project", "Storage Transfer API has not been used in this project")]
        return answer(self, args)

    monkeypatch.setattr(RealisticMocks, "call", without_transfer_agent)
    with pytest.raises(Exception, match="Storage Transfer API") as caught:
        run_stack("staging")
    registered: list[Registration] = caught.value.registrations  # type: ignore[attr-defined]
    assert [r for r in registered if r.type == "gcp:storage/bucket:Bucket"]  # the store itself was being built
    assert not [r for r in registered if "storage-transfer-service" in str(r.inputs.get("member", ""))]
    assert not [r for r in registered if r.type == "gcp:storage/transferJob:TransferJob"]


# --- prod data-loss guards ----------------------------------------------------------------------

GUARDED_TYPES = (BUCKET, GCS_BUCKET, "aws:kms/key:Key", "gcp:kms/keyRing:KeyRing", "gcp:kms/cryptoKey:CryptoKey")


@pytest.mark.parametrize(("example", "store_name"), store_cases(stack="prod"), indirect=["example"])
def test_prod_keys_and_buckets_are_protected_retained_and_immutable(example: Recording, store_name: str) -> None:
    store = store_component(example, store_name)
    guarded = [r for r in example.resources if r.parent == store.urn and r.type in GUARDED_TYPES]
    assert len(guarded) >= 3
    for resource in guarded:
        assert resource.protect is True, f"{resource.type} {resource.name} is not protected"
        assert resource.retain_on_delete is True, f"{resource.type} {resource.name} is not retained on delete"
    if store.type.endswith("AwsLogStore"):
        (lock,) = children(example, store, S3 + "bucketObjectLockConfiguration:BucketObjectLockConfiguration")
        assert lock.inputs["rule"]["defaultRetention"]["mode"] == "COMPLIANCE"
        assert lock.protect is True
    else:
        buckets = children(example, store, GCS_BUCKET)
        locked = {b.name.removeprefix(f"{store_name}-") for b in buckets if b.inputs.get("retentionPolicy", {}).get("isLocked") is True}
        # The working bucket cannot carry a retention policy: the backend deletes and overwrites there.
        assert locked == {"archive", "access-logs"}


@pytest.mark.parametrize(("example", "store_name"), store_cases(stack="dev") + store_cases(stack="staging"), indirect=["example"])
def test_non_prod_stores_can_be_torn_down(example: Recording, store_name: str) -> None:
    store = store_component(example, store_name)
    for resource in (r for r in example.resources if r.parent == store.urn):
        assert resource.protect is False and resource.retain_on_delete is False, resource.name
