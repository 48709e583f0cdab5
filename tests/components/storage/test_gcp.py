"""GCP log stores of every example stack, read from the registered resources (types and wire inputs as the SDK
sends them): the working and archive buckets, the transfer job between them, access and audit logs."""

from __future__ import annotations

from typing import Any

import pytest

from components.names import LOKI_DELETION_MARKER_PREFIX
from preflight.record.mocks import RealisticMocks
from preflight.record.recording import Recording, Registration
from tests.helpers.harness import run_stack
from tests.helpers.store_lookups import (
    GCS_BUCKET,
    GCS_MEMBER,
    bucket_name,
    child,
    children,
    gcs_service_agent,
    settings,
    store_cases,
    store_component,
)


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
    grant = child(example, store, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", member=gcs_service_agent(store_config["project"]))
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
        # The key's deletion waits for every bucket that encrypts with it.
        assert key.urn in bucket.dependencies
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
    # Loki's deletion markers live in this bucket; no rule deletes a live one.
    assert not [p for p in prefixes if LOKI_DELETION_MARKER_PREFIX.startswith(p)]
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
