"""GCS buckets of the stack, each linked to the archive bucket a Storage Transfer job copies it into."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource

from policies.lib.types import GCS_BUCKET, GCS_TRANSFER
from policies.lib.values import deps, get, known, number, truthy

SECONDS_PER_DAY = 86400


@dataclass
class GcsBucket:
    resource: PolicyResource
    name: str
    archive: GcsBucket | None = None  # the bucket a Storage Transfer job copies this one into

    @property
    def urn(self) -> str:
        return self.resource.urn

    @property
    def props(self) -> Mapping[str, Any]:
        return self.resource.props


def gcs_buckets(resources: list[PolicyResource]) -> list[GcsBucket]:
    """GCS buckets, each linked to the archive bucket a Storage Transfer job feeds from it (if any)."""
    buckets = [GcsBucket(r, str(known(r.props, "name") or r.name)) for r in resources if r.resource_type == GCS_BUCKET]
    by_urn = {b.urn: b for b in buckets}
    by_name = {b.name: b for b in buckets}

    def resolve(job: PolicyResource, side: str) -> GcsBucket | None:
        name = known(job.props, "transferSpec", side, "bucketName")
        if isinstance(name, str) and name in by_name:
            return by_name[name]
        candidates = [by_urn[d.urn] for d in deps(job, "transferSpec", GCS_BUCKET) if d.urn in by_urn]
        others = [c for c in candidates if c is not (by_name.get(str(known(job.props, "transferSpec", _other(side), "bucketName"))))]
        return others[0] if len(others) == 1 else None

    for job in (r for r in resources if r.resource_type == GCS_TRANSFER):
        source, sink = resolve(job, "gcsDataSource"), resolve(job, "gcsDataSink")
        if source is not None and sink is not None and source is not sink:
            source.archive = sink
    return buckets


def _other(side: str) -> str:
    return "gcsDataSink" if side == "gcsDataSource" else "gcsDataSource"


def retention_days(bucket: GcsBucket) -> float | None:
    seconds = number(get(bucket.props, "retentionPolicy", "retentionPeriod"))
    return None if seconds is None else seconds / SECONDS_PER_DAY


def retention_problem(bucket: GcsBucket, min_days: float, require_locked: bool) -> str | None:
    days = retention_days(bucket)
    if days is None:
        return "has no retention policy"
    if days < min_days:
        return f"retention policy is {days:g} days, below the minimum {min_days:g}"
    if require_locked and not truthy(get(bucket.props, "retentionPolicy", "isLocked")):
        return "retention policy is not locked"
    return None
