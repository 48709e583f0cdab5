"""GCS buckets of the stack, each linked to the archive bucket a Storage Transfer job copies it into; the project a GCP
resource lives in."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource

from policies.examined import probing
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
    """GCS buckets, each linked to the archive bucket a Storage Transfer job feeds from it (if any). Naming and
    linking them is a probe: a check examines the buckets whose `props` it then reads (policies/examined.py)."""
    with probing():
        return _gcs_buckets(resources)


def _gcs_buckets(resources: list[PolicyResource]) -> list[GcsBucket]:
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


_PROJECT_IN_ID = re.compile(r"(?:^|/)projects/([^/]+)/")
# The property naming the parent a resource takes its project from, by type prefix.
_PARENT_PROPS = (
    ("gcp:kms/cryptoKeyIAM", "cryptoKeyId"),
    ("gcp:kms/keyRingIAM", "keyRingId"),
    ("gcp:kms/cryptoKey:", "keyRing"),
    ("gcp:storage/bucketIAM", "bucket"),
)


def project_of(
    resource: PolicyResource, by_urn: Mapping[str, PolicyResource] | None = None, by_name: Mapping[str, PolicyResource] | None = None
) -> str:
    """The GCP project a resource lives in. A resource that has no `project` of its own in the provider schema takes
    its parent's (a CryptoKey its key ring's, from the referenced resource or the `projects/P/...` id; a key, ring or
    bucket IAM member its key's, ring's or bucket's): a `project` on it is not the provider's (mocks and some state
    readers fill it with the provider default). Others: their `project`, else the provider's default. "" if unknown."""
    for prefix, prop in _PARENT_PROPS:
        if resource.resource_type.startswith(prefix):
            found = _parent_project(resource, prop, by_urn or {}, by_name or {})
            if found:
                return found
    project = known(resource.props, "project")
    if project:
        return str(project)
    if resource.provider is not None:
        return str(known(resource.provider.props, "project") or "")
    return ""


def _parent_project(
    resource: PolicyResource, prop: str, by_urn: Mapping[str, PolicyResource], by_name: Mapping[str, PolicyResource]
) -> str:
    for parent in deps(resource, prop):
        return project_of(by_urn.get(parent.urn, parent), by_urn, by_name)
    value = known(resource.props, prop)
    if isinstance(value, str):
        match = _PROJECT_IN_ID.search(value)
        if match:
            return match.group(1)
        if value in by_name:
            return project_of(by_name[value], by_urn, by_name)
    return ""
