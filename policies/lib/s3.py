"""One view per S3 bucket of the stack, with its settings however they are written.

pulumi-aws v7 still accepts a bucket's settings inline on `aws.s3.Bucket` (deprecated) as well as through the
separate resources (`BucketServerSideEncryptionConfiguration`, `BucketVersioning`, ...). The S3 policies are stack
policies that merge both into one view per bucket. Separate resources reference their bucket by name; the join
uses the property dependency on the Bucket when there is one (known even in a preview, where the name is an
unknown output) and otherwise the name or ARN.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import PolicyResource

from policies.examined import probing
from policies.lib.iam import principals, statements
from policies.lib.types import (
    KMS_KEY_TYPES,
    S3_ACL,
    S3_BUCKET_TYPES,
    S3_LIFECYCLE,
    S3_LOCK,
    S3_LOGGING,
    S3_OWNERSHIP,
    S3_PAB,
    S3_POLICY,
    S3_SSE,
    S3_VERSIONING,
)
from policies.lib.values import as_list, deps, ids_of, json_document, known, number, strings, truthy

S3_LOG_DELIVERY = "logging.s3.amazonaws.com"


@dataclass
class LifecycleRule:
    enabled: bool
    prefix: str
    expiration_days: float | None
    noncurrent_days: float | None

    @property
    def expires(self) -> bool:
        return self.expiration_days is not None or self.noncurrent_days is not None


@dataclass
class S3Bucket:
    resource: PolicyResource
    names: set[str]
    # (applyServerSideEncryptionByDefault, the resource carrying it, its property that references the key);
    # read lazily so an unknown key id in a preview stops only the checks that need it.
    encryption: list[tuple[Any, PolicyResource, str]] = field(default_factory=list)
    versioning: list[bool] = field(default_factory=list)
    lifecycle: list[LifecycleRule] = field(default_factory=list)
    has_lifecycle_config: bool = False
    log_targets: list[tuple[PolicyResource | None, str]] = field(default_factory=list)
    public_access_blocks: list[Mapping[str, Any]] = field(default_factory=list)
    ownership: list[str] = field(default_factory=list)
    acls: list[str] = field(default_factory=list)
    grant_uris: list[str] = field(default_factory=list)
    policy_sources: list[Mapping[str, Any]] = field(default_factory=list)  # props holding a `policy` JSON string
    lock_enabled: bool = False
    lock_retention: list[tuple[str, float]] = field(default_factory=list)
    log_target: bool = False
    attached: list[PolicyResource] = field(default_factory=list)  # the separate resources joined to this bucket

    @property
    def urn(self) -> str:
        return self.resource.urn

    @property
    def label(self) -> str:
        name = sorted(n for n in self.names if not n.startswith("arn:"))
        return name[0] if name else self.resource.name


def _bucket_names(resource: PolicyResource) -> set[str]:
    names = ids_of(resource, "bucket", "id", "arn")
    return names | {n.removeprefix("arn:aws:s3:::") for n in names}


def _expiration_days(expiration: Any) -> float | None:
    for value in as_list(expiration):
        days = number(known(value, "days"))
        if days is not None and days > 0:
            return days
        if known(value, "date"):
            return 0.0
    return None


def _noncurrent_days(value: Any) -> float | None:
    for item in as_list(value):
        days = number(known(item, "noncurrentDays")) or number(known(item, "days"))
        if days is not None:
            return days
    return None


def _filter_prefix(rule: Mapping[str, Any]) -> str:
    prefix = known(rule, "prefix", default="") or ""
    for flt in as_list(known(rule, "filter")):
        prefix = known(flt, "prefix", default="") or known(flt, "and", "prefix", default="") or prefix
        if known(flt, "tag") or known(flt, "and", "tags"):
            prefix = prefix or "<tag filter>"
    return str(prefix)


class S3View:
    """Every S3 bucket of the stack with its settings, whether given inline or as separate resources."""

    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        # Building the view reads every bucket: a probe. A check examines what it judges (`judged`).
        with probing():
            self._build(list(resources))

    def judged(self, stores: Mapping[str, str] | None = None) -> list[S3Bucket]:
        """The buckets a check judges (those in `stores`, the log-store scope, when given), each recorded as examined
        together with the resources attached to it (policies/examined.py)."""
        chosen = [b for b in self.buckets if stores is None or b.urn in stores]
        for bucket in chosen:
            for resource in (bucket.resource, *bucket.attached):
                resource.props  # noqa: B018 -- the read is the record
        return chosen

    def _build(self, resources: list[PolicyResource]) -> None:
        self.buckets: list[S3Bucket] = [S3Bucket(r, _bucket_names(r)) for r in resources if r.resource_type in S3_BUCKET_TYPES]
        self.keys = [r for r in resources if r.resource_type in KMS_KEY_TYPES]
        by_urn = {b.urn: b for b in self.buckets}
        by_name = {n: b for b in self.buckets for n in b.names}
        self._by_urn, self._by_name = by_urn, by_name
        for bucket in self.buckets:
            self._inline(bucket)
        for r in resources:
            if r.resource_type in S3_BUCKET_TYPES:
                continue
            target = self.bucket_of(r, "bucket")
            if target is None:
                continue
            target.attached.append(r)
            self._separate(target, r)
        for bucket in self.buckets:
            for target_resource, target_name in bucket.log_targets:
                target = by_urn.get(target_resource.urn) if target_resource is not None else by_name.get(target_name)
                if target is not None and target is not bucket:
                    target.log_target = True
            if any(_grants_log_delivery(json_document(known(src, "policy"))) for src in bucket.policy_sources):
                bucket.log_target = True

    def bucket_of(self, resource: PolicyResource, prop: str) -> S3Bucket | None:
        for dep in deps(resource, prop, *S3_BUCKET_TYPES):
            if dep.urn in self._by_urn:
                return self._by_urn[dep.urn]
        value = known(resource.props, prop)
        if isinstance(value, str):
            return self._by_name.get(value) or self._by_name.get(value.removeprefix("arn:aws:s3:::"))
        return None

    def _inline(self, bucket: S3Bucket) -> None:
        props, r = bucket.resource.props, bucket.resource
        sse = known(props, "serverSideEncryptionConfiguration")
        if sse is not None:
            for rule in as_list(known(sse, "rule")) or as_list(known(sse, "rules")):
                bucket.encryption.append((known(rule, "applyServerSideEncryptionByDefault"), r, "serverSideEncryptionConfiguration"))
        versioning = known(props, "versioning")
        if versioning is not None:
            bucket.versioning.append(truthy(known(versioning, "enabled")))
        for rule in as_list(known(props, "lifecycleRules")):
            bucket.has_lifecycle_config = True
            bucket.lifecycle.append(
                LifecycleRule(
                    enabled=truthy(known(rule, "enabled", default=False)),
                    prefix=str(known(rule, "prefix", default="") or ""),
                    expiration_days=_expiration_days(known(rule, "expiration")),
                    noncurrent_days=_noncurrent_days(known(rule, "noncurrentVersionExpiration")),
                )
            )
        for logging in as_list(known(props, "logging")):
            target_name = known(logging, "targetBucket") or ""
            target_dep = next(iter(deps(r, "logging", *S3_BUCKET_TYPES)), None)
            bucket.log_targets.append((target_dep, str(target_name)))
        acl = known(props, "acl")
        if isinstance(acl, str):
            bucket.acls.append(acl)
        for grant in as_list(known(props, "grants")):
            bucket.grant_uris.extend(strings(known(grant, "uri")))
        if "policy" in (props or {}):
            bucket.policy_sources.append(props)
        if truthy(known(props, "objectLockEnabled")) or truthy(known(props, "objectLockConfiguration", "objectLockEnabled")):
            bucket.lock_enabled = True
        self._lock_rule(bucket, known(props, "objectLockConfiguration", "rule"))

    @staticmethod
    def _lock_rule(bucket: S3Bucket, rule: Any) -> None:
        retention = known(rule, "defaultRetention")
        if retention is None:
            return
        days = number(known(retention, "days")) or (number(known(retention, "years")) or 0) * 365
        bucket.lock_retention.append((str(known(retention, "mode", default="")), days))

    def _separate(self, bucket: S3Bucket, r: PolicyResource) -> None:
        t, props = r.resource_type, r.props
        if t in S3_SSE:
            for rule in as_list(known(props, "rules")):
                bucket.encryption.append((known(rule, "applyServerSideEncryptionByDefault"), r, "rules"))
        elif t in S3_VERSIONING:
            bucket.versioning.append(known(props, "versioningConfiguration", "status") == "Enabled")
        elif t in S3_LIFECYCLE:
            bucket.has_lifecycle_config = True
            for rule in as_list(known(props, "rules")):
                bucket.lifecycle.append(
                    LifecycleRule(
                        enabled=known(rule, "status") == "Enabled",
                        prefix=_filter_prefix(rule),
                        expiration_days=_expiration_days(known(rule, "expiration")),
                        noncurrent_days=_noncurrent_days(known(rule, "noncurrentVersionExpiration")),
                    )
                )
        elif t in S3_LOGGING:
            target_dep = next(iter(deps(r, "targetBucket", *S3_BUCKET_TYPES)), None)
            bucket.log_targets.append((target_dep, str(known(props, "targetBucket") or "")))
        elif t in S3_PAB:
            bucket.public_access_blocks.append(props)
        elif t in S3_OWNERSHIP:
            for rule in as_list(known(props, "rule")):
                bucket.ownership.append(str(known(rule, "objectOwnership") or ""))
        elif t in S3_ACL:
            acl = known(props, "acl")
            if isinstance(acl, str):
                bucket.acls.append(acl)
            for grant in as_list(known(props, "accessControlPolicy", "grants")):
                bucket.grant_uris.extend(strings(known(grant, "grantee", "uri")))
        elif t in S3_POLICY:
            bucket.policy_sources.append(props)
        elif t in S3_LOCK:
            bucket.lock_enabled = bucket.lock_enabled or known(props, "objectLockEnabled", default="Enabled") == "Enabled"
            self._lock_rule(bucket, known(props, "rule"))


def _grants_log_delivery(document: Mapping[str, Any] | None) -> bool:
    return any(s.get("Effect") == "Allow" and S3_LOG_DELIVERY in principals(s).get("Service", []) for s in statements(document))
