"""Retention arithmetic on both clouds, read back from the registered resources.

Changing `retention.hot_days` and `archive_days` moves every dependent number together (lifecycle, object lock,
retention policy, noncurrent expiry and the Loki backend's retention_period), and on neither cloud
can an object be removed before archive_days. The earliest removal day is derived from the registered object
lock / retention policy and lifecycle rules, by the storage services' own rules:
- S3: a version under object lock cannot be deleted by anyone (COMPLIANCE) until the lock ends, and lifecycle
  actions wait for it too; a DELETE without a version id (what the backend does) only adds a delete marker, the
  version becomes noncurrent and a noncurrent-version expiration removes it N days later; a current-version
  expiration also only adds a delete marker.
- GCS: a retention policy blocks every delete and overwrite of an object younger than the period; a lifecycle
  Delete acts at the object's age.
"""

from __future__ import annotations

from typing import Any

import pytest

from preflight.recorder import Recording, Registration
from tests.harness import run, stack_config
from tests.test_storage_support import child, children

LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
GCS_BUCKET = "gcp:storage/bucket:Bucket"

# (hot_days, archive_days): a short tail, a long archive, and the edge where the backend keeps everything.
RETENTIONS = [(3, 45), (60, 730), (30, 30)]
_recordings: dict[tuple[int, int], Recording] = {}


def recording(hot: int, archive: int) -> Recording:
    """The prod example (COMPLIANCE lock, locked GCS retention) with other retention numbers, recorded once."""
    if (hot, archive) not in _recordings:
        config = stack_config("prod")
        config["logmesh:retention"] = {"hot_days": hot, "archive_days": archive, "immutable": True}
        _recordings[(hot, archive)] = run(config, "prod")
    return _recordings[(hot, archive)]


def backend_retention_days(rec: Recording, store: Registration) -> float:
    """What the store's Loki backend keeps, from its registered Helm values (limits_config.retention_period)."""
    releases = [r for r in rec.resources if r.type == "kubernetes:helm.sh/v3:Release" and r.name == f"{store.name}-loki"]
    assert len(releases) == 1, f"no single Loki release for store {store.name}"
    period = releases[0].inputs["values"]["loki"]["limits_config"]["retention_period"]
    assert period.endswith("h")
    return int(period[:-1]) / 24


def stores(rec: Recording, cloud: str) -> list[Registration]:
    return [r for r in rec.resources if r.type == f"logmesh:storage:{cloud.capitalize()}LogStore"]


# --- S3: what the registered lock and lifecycle allow ----------------------------------------------


def s3_rules_for(rules: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return [r for r in rules if r["status"] == "Enabled" and key.startswith(r["filter"]["prefix"])]


def s3_numbers(rec: Recording, store: Registration, key: str) -> dict[str, Any]:
    """What S3 does to an object stored under `key` in the store bucket, from the registered inputs."""
    (bucket,) = [b for b in children(rec, store, "aws:s3/bucket:Bucket") if not b.inputs["bucket"].endswith("-access-logs")]
    name = bucket.inputs["bucket"]
    locks = [lock for lock in children(rec, store, LOCK) if lock.inputs["bucket"] == name]
    lock_days = locks[0].inputs["rule"]["defaultRetention"]["days"] if locks else 0
    lock_mode = locks[0].inputs["rule"]["defaultRetention"]["mode"] if locks else None
    rules = s3_rules_for(child(rec, store, LIFECYCLE, bucket=name).inputs["rules"], key)
    noncurrent = [r["noncurrentVersionExpiration"]["noncurrentDays"] for r in rules if "noncurrentVersionExpiration" in r]
    current = [r["expiration"]["days"] for r in rules if "days" in r.get("expiration", {})]
    transitions = [t["days"] for r in rules for t in r.get("transitions", [])]
    return {
        "lock_days": lock_days,
        "lock_mode": lock_mode,
        "noncurrent_days": min(noncurrent) if noncurrent else None,
        "current_expiry": min(current) if current else None,
        "transition_days": transitions,
    }


def s3_removed_on(n: dict[str, Any], noncurrent_from: float) -> float:
    """The day a version that became noncurrent on `noncurrent_from` is permanently gone."""
    assert n["noncurrent_days"] is not None, "noncurrent versions would be kept forever"
    return max(n["lock_days"], noncurrent_from + n["noncurrent_days"])


def s3_earliest_removal(n: dict[str, Any]) -> float:
    """Over every path: a versioned DELETE (blocked until the lock ends; COMPLIANCE binds everyone), a
    noncurrent expiration of a version overwritten or deleted on day 0, a current expiration then noncurrent."""
    assert n["lock_mode"] == "COMPLIANCE"
    paths = [n["lock_days"], s3_removed_on(n, 0)]
    if n["current_expiry"] is not None:
        paths.append(s3_removed_on(n, n["current_expiry"]))
    return min(paths)


# --- GCS: what the registered retention policy and lifecycle allow ---------------------------------


def gcs_numbers(rec: Recording, store: Registration) -> dict[str, Any]:
    buckets = {b.name.rsplit("-", 1)[-1]: b for b in children(rec, store, GCS_BUCKET)}
    archive, working = buckets["archive"].inputs, buckets["logs"].inputs
    policy = archive.get("retentionPolicy")

    def ages(bucket: dict[str, Any], action: str, **condition: Any) -> list[Any]:
        return [
            r["condition"]["age"]
            for r in bucket["lifecycleRules"]
            if r["action"]["type"] == action and "age" in r["condition"] and all(r["condition"].get(k) == v for k, v in condition.items())
        ]

    job = child(rec, store, "gcp:storage/transferJob:TransferJob")
    return {
        "retention_days": int(policy["retentionPeriod"]) / 86400 if policy else 0,
        "locked": bool(policy and policy.get("isLocked")),
        "archive_delete_ages": ages(archive, "Delete"),
        "archive_cold_ages": ages(archive, "SetStorageClass"),
        "working_cold_ages": ages(working, "SetStorageClass"),
        "working_live_delete_ages": ages(working, "Delete", withState="LIVE"),
        "transfer_interval_days": int(job.inputs["schedule"]["repeatInterval"].removesuffix("s")) / 86400,
        "transfer_options": job.inputs["transferSpec"]["transferOptions"],
        "copies_into_archive": job.inputs["transferSpec"]["gcsDataSink"]["bucketName"] == archive["name"],
    }


def gcs_earliest_removal(n: dict[str, Any]) -> float:
    """An archive object: an explicit delete waits for the retention policy; a lifecycle Delete for its age."""
    assert n["locked"], "prod retention policies are locked: nobody can shorten them"
    paths = [n["retention_days"]] + [max(n["retention_days"], age) for age in n["archive_delete_ages"]]
    return min(paths)


# --- the test ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("hot", "archive"), RETENTIONS, ids=[f"hot{h}-archive{a}" for h, a in RETENTIONS])
def test_retention_numbers_move_together_and_nothing_goes_before_archive_days(hot: int, archive: int) -> None:
    rec = recording(hot, archive)
    config = stack_config("prod")
    (aws_store,) = stores(rec, "aws")
    (gcp_store,) = stores(rec, "gcp")
    tenants = [c["name"] for c in config["logmesh:clusters"] if c["cloud"] == "aws"]
    aws_backend_days, gcp_backend_days = backend_retention_days(rec, aws_store), backend_retention_days(rec, gcp_store)
    assert aws_backend_days == gcp_backend_days == hot

    # AWS: every tenant chunk, and an object outside any tenant prefix (the backend's index).
    for key in [f"{t}/chunk" for t in tenants] + ["index/table/file"]:
        n = s3_numbers(rec, aws_store, key)
        assert n["lock_days"] == archive
        assert s3_earliest_removal(n) >= archive, f"{key} could be removed before day {archive}"
        if key.startswith(tuple(tenants)):
            # The backend deletes a chunk when its retention ends: the locked version is then kept to
            # archive_days in total.
            assert archive <= s3_removed_on(n, aws_backend_days) <= archive + 1
            assert n["current_expiry"] == archive
            # Not forever, even if the backend never deletes it.
            assert s3_removed_on(n, n["current_expiry"]) <= 2 * archive
            assert n["transition_days"] == ([hot] if archive > hot else [])
        else:
            assert n["current_expiry"] is None, "nothing expires a live object outside the tenant prefixes"

    # GCP: the archive keeps every copied object exactly archive_days; the working bucket follows hot_days.
    g = gcs_numbers(rec, gcp_store)
    assert g["retention_days"] == archive
    assert gcs_earliest_removal(g) >= archive
    assert min(g["archive_delete_ages"]) == archive, "bounded: the archive deletes at archive_days"
    assert g["working_live_delete_ages"] == [archive]
    assert g["archive_cold_ages"] == g["working_cold_ages"] == ([hot] if archive > hot else [])
    # Every object the backend writes lives at least one transfer interval, so it reaches the archive, where the
    # transfer never deletes or overwrites.
    assert g["copies_into_archive"]
    assert gcp_backend_days >= g["transfer_interval_days"]
    assert g["transfer_options"]["overwriteWhen"] == "NEVER"
    assert g["transfer_options"]["deleteObjectsUniqueInSink"] is False

    # Access logs on both clouds expire with the archive.
    aws_access = child(rec, aws_store, LIFECYCLE, bucket=f"acme-prod-{aws_store.name}-access-logs").inputs["rules"]
    assert {r["expiration"]["days"] for r in aws_access if "days" in r.get("expiration", {})} == {archive}
    gcs_access = next(b for b in children(rec, gcp_store, GCS_BUCKET) if b.name.endswith("access-logs")).inputs
    assert {r["condition"]["age"] for r in gcs_access["lifecycleRules"] if "age" in r["condition"]} == {archive}


def test_the_variations_really_differ() -> None:
    """Guards the test above against recording the example stack's own numbers each time."""
    locks = set()
    for hot, archive in RETENTIONS:
        rec = recording(hot, archive)
        (aws_store,) = stores(rec, "aws")
        locks.add(s3_numbers(rec, aws_store, "x/")["lock_days"])
    assert locks == {archive for _, archive in RETENTIONS}
