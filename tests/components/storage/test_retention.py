"""Retention arithmetic on both clouds, read back from the registered resources.

Changing `retention.hot_days` and `archive_days` moves every dependent number together (lifecycle, object lock,
retention policy, noncurrent expiry and the Loki backend's retention_period); on neither cloud can an object be
removed before archive_days, and none is kept longer than archive_days + 1. The earliest and latest removal days
are derived from the registered object lock / retention policy, bucket policy and lifecycle rules, by the storage
services' own rules:
- S3: a version under object lock cannot be deleted by anyone (COMPLIANCE) until the lock ends, and lifecycle
  actions wait for it too; a DELETE without a version id (what the backend does) only adds a delete marker, the
  version becomes noncurrent and a noncurrent-version expiration removes it N days later; a current-version
  expiration also only adds a delete marker. A bucket policy Deny binds every principal, but not lifecycle
  actions (S3 performs them itself).
- GCS: a retention policy blocks every delete and overwrite of an object younger than the period; a lifecycle
  Delete acts at the object's age (counted from the version's creation, also for noncurrent versions) or at its
  days since it became noncurrent; a soft-deleted object stays restorable for the soft-delete duration.
Days are lifecycle days as the services count them; both act on an object at most about a day after its day
comes (S3 rounds to the next midnight UTC), a lag that adds to every bound alike.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from preflight.record.recording import Recording, Registration
from tests.helpers.harness import run, stack_config
from tests.helpers.store_lookups import as_list, child, children

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


def s3_latest_removal(n: dict[str, Any]) -> float:
    """A tenant chunk becomes noncurrent when the backend deletes it, or at the latest when the current-version
    expiration adds the delete marker (if the backend never deleted it); then the noncurrent rule, after the lock."""
    assert n["current_expiry"] is not None, "a chunk the backend never deletes would be kept forever"
    return s3_removed_on(n, n["current_expiry"])


def s3_access_logs(rec: Recording, store: Registration) -> dict[str, Any]:
    """The access-logs bucket (no Object Lock is possible there): its lifecycle per prefix, and who may delete."""
    (bucket,) = [b for b in children(rec, store, "aws:s3/bucket:Bucket") if b.inputs["bucket"].endswith("-access-logs")]
    name = bucket.inputs["bucket"]
    assert bucket.inputs["objectLockEnabled"] is False
    rules = [r for r in child(rec, store, LIFECYCLE, bucket=name).inputs["rules"] if r["status"] == "Enabled"]
    policy = json.loads(child(rec, store, "aws:s3/bucketPolicy:BucketPolicy", bucket=name).inputs["policy"])
    objects = f"{bucket.outputs['arn']}/*"
    undeletable = {
        action
        for s in policy["Statement"]
        if s["Effect"] == "Deny" and s["Principal"] == "*" and "Condition" not in s and objects in as_list(s["Resource"])
        for action in as_list(s["Action"])
    }
    return {
        "prefixes": {
            r["filter"]["prefix"]: (r["expiration"]["days"], r["noncurrentVersionExpiration"]["noncurrentDays"])
            for r in rules
            if "days" in r.get("expiration", {})
        },
        "delete_denied_to_everyone": {"s3:DeleteObject", "s3:DeleteObjectVersion"} <= undeletable,
    }


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

    def soft_delete_days(bucket: dict[str, Any]) -> float:
        return int(bucket["softDeletePolicy"]["retentionDurationSeconds"]) / 86400

    noncurrent = [
        r["condition"]
        for r in working["lifecycleRules"]
        if r["action"]["type"] == "Delete" and r["condition"].get("withState") == "ARCHIVED"
    ]
    job = child(rec, store, "gcp:storage/transferJob:TransferJob")
    return {
        "retention_days": int(policy["retentionPeriod"]) / 86400 if policy else 0,
        "locked": bool(policy and policy.get("isLocked")),
        "archive_delete_ages": ages(archive, "Delete"),
        "archive_cold_ages": ages(archive, "SetStorageClass"),
        "working_cold_ages": ages(working, "SetStorageClass"),
        "working_live_delete_ages": ages(working, "Delete", withState="LIVE"),
        "working_noncurrent_days": [c["daysSinceNoncurrentTime"] for c in noncurrent if "daysSinceNoncurrentTime" in c],
        "working_noncurrent_ages": [c["age"] for c in noncurrent if "age" in c],
        "archive_soft_delete_days": soft_delete_days(archive),
        "working_soft_delete_days": soft_delete_days(working),
        "transfer_interval_days": int(job.inputs["schedule"]["repeatInterval"].removesuffix("s")) / 86400,
        "transfer_options": job.inputs["transferSpec"]["transferOptions"],
        "copies_into_archive": job.inputs["transferSpec"]["gcsDataSink"]["bucketName"] == archive["name"],
    }


def gcs_earliest_removal(n: dict[str, Any]) -> float:
    """An archive object: an explicit delete waits for the retention policy; a lifecycle Delete for its age."""
    assert n["locked"], "prod retention policies are locked: nobody can shorten them"
    paths = [n["retention_days"]] + [max(n["retention_days"], age) for age in n["archive_delete_ages"]]
    return min(paths)


def gcs_archive_latest_removal(n: dict[str, Any]) -> float:
    """Days after the backend wrote an object until its archive copy is gone: the copy is made within one transfer
    interval, the lifecycle deletes it at its age (the earliest Delete rule), and soft delete keeps it restorable
    for its duration after that."""
    return n["transfer_interval_days"] + min(n["archive_delete_ages"]) + n["archive_soft_delete_days"]


def gcs_working_versions_gone_by(n: dict[str, Any], noncurrent_from: float) -> float:
    """The day a working-bucket version that became noncurrent on `noncurrent_from` is deleted: after its days
    noncurrent, or once it is old enough (age counts from creation), whichever comes first."""
    paths = [noncurrent_from + days for days in n["working_noncurrent_days"]]
    paths += [max(noncurrent_from, age) for age in n["working_noncurrent_ages"]]
    assert paths, "noncurrent versions in the working bucket would be kept forever"
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
            # The current-version expiration is only the backstop, a day after the backend's delete.
            assert n["current_expiry"] == min(hot + 1, archive)
            # Not forever, and at most a day longer than archive_days, even if the backend never deletes it.
            assert s3_latest_removal(n) <= archive + 1
            assert n["transition_days"] == [], "only noncurrent versions move to the colder class"
        else:
            assert n["current_expiry"] is None, "nothing expires a live object outside the tenant prefixes"

    # GCP: the archive keeps every copied object exactly archive_days; the working bucket follows hot_days.
    g = gcs_numbers(rec, gcp_store)
    assert g["retention_days"] == archive
    assert gcs_earliest_removal(g) >= archive
    assert min(g["archive_delete_ages"]) == archive, "bounded: the archive deletes at archive_days"
    # Nothing in the archive outlives archive_days + 1 after the backend wrote it (no soft delete under the lock).
    assert gcs_archive_latest_removal(g) <= archive + 1
    assert g["archive_cold_ages"] == ([hot] if archive > hot else [])
    # The working copy of a chunk: deleted by the backend at hot_days, or by the lifecycle backstop a day later;
    # every version of it is gone by archive_days + 1 (soft delete then keeps it restorable a week longer, in
    # the working bucket only).
    assert g["working_live_delete_ages"] == [min(hot + 1, archive)]
    assert g["working_cold_ages"] == []
    for noncurrent_from in (gcp_backend_days, *g["working_live_delete_ages"]):
        assert gcs_working_versions_gone_by(g, noncurrent_from) <= archive + 1
    assert g["working_soft_delete_days"] == 7
    # Every object the backend writes lives at least one transfer interval, so it reaches the archive, where the
    # transfer never deletes or overwrites.
    assert g["copies_into_archive"]
    assert gcp_backend_days >= g["transfer_interval_days"]
    assert g["transfer_options"]["overwriteWhen"] == "NEVER"
    assert g["transfer_options"]["deleteObjectsUniqueInSink"] is False

    # Access logs on both clouds: kept archive_days, nobody can delete them earlier, gone by archive_days + 1.
    a = s3_access_logs(rec, aws_store)
    assert a["delete_denied_to_everyone"], "without Object Lock only the bucket policy stops an early delete"
    assert set(a["prefixes"]) == {f"acme-prod-{aws_store.name}-logs/", "cloudtrail/"}
    for expiry, noncurrent in a["prefixes"].values():
        # Only the expiration makes a log noncurrent (a delete marker); the noncurrent rule then removes it.
        assert expiry >= archive
        assert expiry + noncurrent <= archive + 1
    gcs_access = next(b for b in children(rec, gcp_store, GCS_BUCKET) if b.name.endswith("access-logs")).inputs
    assert int(gcs_access["retentionPolicy"]["retentionPeriod"]) / 86400 >= archive
    assert gcs_access["retentionPolicy"]["isLocked"] is True
    assert {r["condition"]["age"] for r in gcs_access["lifecycleRules"] if "age" in r["condition"]} == {archive}
    assert gcs_access["softDeletePolicy"]["retentionDurationSeconds"] == 0


def test_the_variations_really_differ() -> None:
    """Guards the test above against recording the example stack's own numbers each time."""
    locks = set()
    for hot, archive in RETENTIONS:
        rec = recording(hot, archive)
        (aws_store,) = stores(rec, "aws")
        locks.add(s3_numbers(rec, aws_store, "x/")["lock_days"])
    assert locks == {archive for _, archive in RETENTIONS}
