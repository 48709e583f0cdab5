"""Object storage rules: S3 (rules 1-10), GCS (16-20) and deletion protection of log stores (33).

pulumi-aws v7 still accepts a bucket's settings inline on `aws.s3.Bucket` (deprecated) as well as through the
separate resources (`BucketServerSideEncryptionConfiguration`, `BucketVersioning`, ...). The S3 rules are stack
policies that merge both into one view per bucket. Separate resources reference their bucket by name; the join
uses the property dependency on the Bucket when there is one (known even in a preview, where the name is an
unknown output) and otherwise the name or ARN.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    PolicyResource,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)
from pulumi_policy.proxy import UnknownValueError

from policies.common import (
    RETENTION_SETTINGS,
    Check,
    Deferred,
    Report,
    as_list,
    bool_setting,
    condition,
    days_setting,
    deps,
    get,
    ids_of,
    json_document,
    known,
    number,
    principals,
    resource_policy,
    stack_policy,
    statements,
    strings,
    truthy,
)

S3_BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
S3_SSE = ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
          "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2")
S3_VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
S3_LIFECYCLE = ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2")
S3_LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
S3_PAB = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
S3_OWNERSHIP = ("aws:s3/bucketOwnershipControls:BucketOwnershipControls",)
S3_ACL = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
S3_POLICY = ("aws:s3/bucketPolicy:BucketPolicy",)
S3_LOCK = ("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
           "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2")
KMS_KEY_TYPES = ("aws:kms/key:Key", "aws:kms/alias:Alias", "aws:kms/replicaKey:ReplicaKey")
GCS_BUCKET = "gcp:storage/bucket:Bucket"
GCS_TRANSFER = "gcp:storage/transferJob:TransferJob"
GCP_CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey"

PUBLIC_CANNED_ACLS = {"public-read", "public-read-write", "authenticated-read"}
PUBLIC_GRANTEES = ("http://acs.amazonaws.com/groups/global/AllUsers", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")
S3_LOG_DELIVERY = "logging.s3.amazonaws.com"
SECONDS_PER_DAY = 86400


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
        resources = list(resources)
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
            bucket.lifecycle.append(LifecycleRule(
                enabled=truthy(known(rule, "enabled", default=False)),
                prefix=str(known(rule, "prefix", default="") or ""),
                expiration_days=_expiration_days(known(rule, "expiration")),
                noncurrent_days=_noncurrent_days(known(rule, "noncurrentVersionExpiration")),
            ))
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
                bucket.lifecycle.append(LifecycleRule(
                    enabled=known(rule, "status") == "Enabled",
                    prefix=_filter_prefix(rule),
                    expiration_days=_expiration_days(known(rule, "expiration")),
                    noncurrent_days=_noncurrent_days(known(rule, "noncurrentVersionExpiration")),
                ))
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


def _view(args: StackValidationArgs) -> S3View:
    return S3View(args.resources)


_S3_DOMAIN = "storage"
_LOG_TARGET_NOTE = (" A bucket that receives S3 server access logs may use SSE-S3 (AES256), as AWS documents for log targets.")


_KMS_ALGORITHMS: tuple[str, ...] = ("aws:kms", "aws:kms:dsse")


# --- rule 1 ----------------------------------------------------------------------------------------------------

@stack_policy(
    name="s3-default-encryption-kms",
    description="S3 buckets encrypt by default with SSE-KMS (aws:kms or aws:kms:dsse)." + _LOG_TARGET_NOTE,
    criteria=("CC6.1", "PI1.4"),
    anchors="Prowler s3_bucket_kms_encryption; AWS Config S3_DEFAULT_ENCRYPTION_KMS",
    severity=Severity.HIGH,
    remediation="Add aws.s3.BucketServerSideEncryptionConfiguration with sse_algorithm='aws:kms' and the store's KMS key.",
    domain=_S3_DOMAIN,
)
def s3_default_encryption_kms(args: StackValidationArgs, report: Report, check: Check) -> None:
    deferred = Deferred()
    for bucket in _view(args).buckets:
        with deferred.each():
            algorithms = [get(default, "sseAlgorithm") for default, _r, _p in bucket.encryption]
            allowed = (*_KMS_ALGORITHMS, "AES256") if bucket.log_target else _KMS_ALGORITHMS
            if not algorithms:
                report(f"bucket {bucket.label} has no default encryption configuration", bucket.urn)
            elif not all(a in allowed for a in algorithms):
                report(f"bucket {bucket.label} default encryption is {', '.join(map(str, algorithms))}, not aws:kms", bucket.urn)
    deferred.finish()


# --- rule 2 ----------------------------------------------------------------------------------------------------

@stack_policy(
    name="s3-sse-customer-managed-key",
    description="An S3 bucket's SSE-KMS key is a customer-managed KMS key of this stack (not the AWS-managed aws/s3 key).",
    criteria=("CC6.1", "C1.1"),
    anchors="logmesh (no public anchor)",
    severity=Severity.HIGH,
    remediation="Set kms_master_key_id to the ARN of the store's aws.kms.Key (created in this stack), not alias/aws/s3 or an empty id.",
    domain=_S3_DOMAIN,
)
def s3_sse_customer_managed_key(args: StackValidationArgs, report: Report, check: Check) -> None:
    view = _view(args)
    key_ids: set[str] = set()
    for key in view.keys:
        key_ids |= ids_of(key, "arn", "keyId", "id", "name", "targetKeyArn")
    key_urns = {k.urn for k in view.keys}
    deferred = Deferred()
    for bucket in view.buckets:
        with deferred.each():
            for default, carrier, prop in bucket.encryption:
                if get(default, "sseAlgorithm") not in ("aws:kms", "aws:kms:dsse"):
                    continue
                if any(d.urn in key_urns for d in deps(carrier, prop)):
                    continue
                key_id = get(default, "kmsMasterKeyId")
                if not key_id:
                    report(f"bucket {bucket.label} uses SSE-KMS without a key id: that is the AWS-managed aws/s3 key", bucket.urn)
                elif str(key_id) not in key_ids:
                    report(f"bucket {bucket.label} SSE-KMS key {key_id} is not a KMS key of this stack", bucket.urn)
    deferred.finish()


# --- rule 3 ----------------------------------------------------------------------------------------------------

@stack_policy(
    name="s3-versioning-enabled",
    description="S3 buckets have versioning enabled, so overwritten or deleted log objects stay recoverable.",
    criteria=("A1.2", "C1.2", "CC7.4", "PI1.5"),
    anchors="Prowler s3_bucket_object_versioning; AWS Config S3_BUCKET_VERSIONING_ENABLED",
    severity=Severity.MEDIUM,
    remediation="Add aws.s3.BucketVersioning with versioning_configuration status 'Enabled'.",
    domain=_S3_DOMAIN,
)
def s3_versioning_enabled(args: StackValidationArgs, report: Report, check: Check) -> None:
    for bucket in _view(args).buckets:
        if not any(bucket.versioning):
            report(f"bucket {bucket.label} does not have versioning enabled", bucket.urn)


# --- rule 4 ----------------------------------------------------------------------------------------------------

@stack_policy(
    name="s3-object-lock-default-retention",
    description=(
        "S3 buckets holding logs have Object Lock with a default retention in the configured mode. Buckets that receive "
        "S3 server access logs are exempt: S3 cannot deliver access logs to a bucket with Object Lock."
    ),
    criteria=("PI1.5", "C1.1"),
    anchors="Prowler s3_bucket_object_lock; AWS Config S3_BUCKET_DEFAULT_LOCK_ENABLED",
    severity=Severity.HIGH,
    remediation="Create the bucket with object_lock_enabled=True and add aws.s3.BucketObjectLockConfiguration "
                "with a default_retention in the required mode (COMPLIANCE in prod).",
    domain=_S3_DOMAIN,
    settings={
        "object_lock_mode": {"type": "string", "enum": ["COMPLIANCE", "GOVERNANCE", "ANY"], "default": "COMPLIANCE",
                             "description": "Required default retention mode (per environment)."},
        "min_lock_days": days_setting(1, "Shortest allowed default retention, in days."),
    },
)
def s3_object_lock(args: StackValidationArgs, report: Report, check: Check) -> None:
    mode, min_days = check.settings["object_lock_mode"], float(check.settings["min_lock_days"])
    for bucket in _view(args).buckets:
        if bucket.log_target:
            continue
        if not bucket.lock_enabled:
            report(f"bucket {bucket.label} does not have Object Lock enabled", bucket.urn)
        elif not bucket.lock_retention:
            report(f"bucket {bucket.label} has Object Lock but no default retention", bucket.urn)
        else:
            for actual, days in bucket.lock_retention:
                if mode != "ANY" and actual != mode:
                    report(f"bucket {bucket.label} default retention mode is {actual or 'unset'}, required {mode}", bucket.urn)
                if days < min_days:
                    report(f"bucket {bucket.label} default retention is {days:g} days, shorter than {min_days:g}", bucket.urn)


# --- rule 5 ----------------------------------------------------------------------------------------------------

@stack_policy(
    name="s3-lifecycle-expiration",
    description="S3 buckets have an enabled lifecycle rule that expires objects (current or noncurrent versions). "
                "Rules that only abort incomplete multipart uploads do not count and are never a violation.",
    criteria=("C1.1", "C1.2"),
    anchors="Steampipe s3_bucket_lifecycle_policy_enabled; AWS Config S3_LIFECYCLE_POLICY_CHECK",
    severity=Severity.MEDIUM,
    remediation="Add aws.s3.BucketLifecycleConfiguration with an enabled rule that has expiration days "
                "(and noncurrent_version_expiration on versioned buckets).",
    domain=_S3_DOMAIN,
)
def s3_lifecycle_expiration(args: StackValidationArgs, report: Report, check: Check) -> None:
    for bucket in _view(args).buckets:
        if not any(rule.enabled and rule.expires for rule in bucket.lifecycle):
            what = "no enabled lifecycle rule that expires objects" if bucket.has_lifecycle_config else "no lifecycle configuration"
            report(f"bucket {bucket.label} has {what}", bucket.urn)


# --- rule 6 ----------------------------------------------------------------------------------------------------

@stack_policy(
    name="s3-retention-within-bounds",
    description="S3 buckets keep every object version at least min_retention_days and at most max_retention_days. "
                "The minimum holds for each lifecycle expiration of current objects when the expiration is at least "
                "min_retention_days, or the Object Lock default retention is (the lock keeps every version that long, "
                "whatever deletes it: a client, the backend or a lifecycle rule), or, in a versioned bucket, the expiration "
                "plus the noncurrent-version expiration covering its prefix is (an expiration there only adds a delete "
                "marker; the version stays, noncurrent, that much longer). The longest lifetime, current expiration plus "
                "noncurrent-version expiration, and the Object Lock default retention are at most max_retention_days.",
    criteria=("C1.2", "CC7.2"),
    anchors="Prowler cloudwatch_log_group_retention_policy_specific_days_enabled (min); logmesh (max, object lock)",
    severity=Severity.MEDIUM,
    remediation="Set every current-object expiration to at least the minimum, or add an Object Lock default retention of "
                "at least the minimum (or, in a versioned bucket, a noncurrent_version_expiration that keeps the expired "
                "version to the minimum); keep expiration + noncurrent_version_expiration and the lock retention within the maximum.",
    domain=_S3_DOMAIN,
    settings=RETENTION_SETTINGS,
)
def s3_retention_bounds(args: StackValidationArgs, report: Report, check: Check) -> None:
    low, high = float(check.settings["min_retention_days"]), float(check.settings["max_retention_days"])
    for bucket in _view(args).buckets:
        rules = [r for r in bucket.lifecycle if r.enabled and r.expires]
        current = [(r, r.expiration_days) for r in rules if r.expiration_days is not None]
        # Lifecycle actions, like every delete, wait for a version's object-lock retention to end.
        locked_days = min((days for _mode, days in bucket.lock_retention), default=0.0)
        for rule, days in current:
            kept = days + _noncurrent_tail(bucket, rule, rules)
            if days < low and locked_days < low and kept < low:
                where = f"prefix '{rule.prefix}'" if rule.prefix else "the whole bucket"
                lock = f"object-lock retention {locked_days:g} days" if bucket.lock_retention else "no object-lock retention"
                report(f"bucket {bucket.label}: objects under {where} expire after {days:g} days and are kept {kept:g} days "
                       f"in all ({lock}), below the minimum {low:g}", bucket.urn)
        longest_current = max((d for _r, d in current), default=0.0)
        longest_noncurrent = max((r.noncurrent_days for r in rules if r.noncurrent_days is not None), default=0.0)
        lifetime = longest_current + longest_noncurrent
        if lifetime > high:
            report(f"bucket {bucket.label}: objects may be kept {lifetime:g} days (expiration {longest_current:g} + noncurrent "
                   f"{longest_noncurrent:g}), above the maximum {high:g}", bucket.urn)
        for _mode, lock_days in bucket.lock_retention:
            if lock_days > high:
                report(f"bucket {bucket.label}: object-lock retention {lock_days:g} days keeps every version above the "
                       f"maximum {high:g}", bucket.urn)


def _noncurrent_tail(bucket: S3Bucket, expiring: LifecycleRule, rules: list[LifecycleRule]) -> float:
    """Days the version an expiration of `expiring` leaves behind stays noncurrent: the shortest noncurrent-version
    expiration of a rule covering all of its prefix; none without versioning, where an expiration deletes."""
    if not any(bucket.versioning):
        return 0.0
    tails = [r.noncurrent_days for r in rules if r.noncurrent_days is not None and expiring.prefix.startswith(r.prefix)]
    return min(tails, default=0.0)


# --- rule 7 ----------------------------------------------------------------------------------------------------

_PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


@stack_policy(
    name="s3-public-access-block",
    description="S3 buckets have a public access block with all four flags on.",
    criteria=("CC6.1", "CC6.6"),
    anchors="Prowler s3_bucket_level_public_access_block; AWS Config S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED",
    severity=Severity.CRITICAL,
    remediation="Add aws.s3.BucketPublicAccessBlock with block_public_acls, block_public_policy, ignore_public_acls "
                "and restrict_public_buckets all True.",
    domain=_S3_DOMAIN,
)
def s3_public_access_block(args: StackValidationArgs, report: Report, check: Check) -> None:
    deferred = Deferred()
    for bucket in _view(args).buckets:
        with deferred.each():
            if not bucket.public_access_blocks:
                report(f"bucket {bucket.label} has no public access block", bucket.urn)
                continue
            off = sorted({f for pab in bucket.public_access_blocks for f in _PAB_FLAGS if not truthy(get(pab, f))})
            if off:
                report(f"bucket {bucket.label} public access block leaves off: {', '.join(off)}", bucket.urn)
    deferred.finish()


# --- rule 8 ----------------------------------------------------------------------------------------------------

def _denies_insecure_transport(document: Mapping[str, Any] | None) -> bool:
    for s in statements(document):
        if s.get("Effect") != "Deny":
            continue
        if "*" not in principals(s).get("*", []) and "*" not in principals(s).get("AWS", []):
            continue
        actions = strings(s.get("Action"))
        if not any(a in ("*", "s3:*") for a in actions):
            continue
        values = condition(s, "Bool", "aws:SecureTransport") or condition(s, "BoolIfExists", "aws:SecureTransport")
        if values and "false" in [v.lower() for v in values]:
            return True
    return False


@stack_policy(
    name="s3-secure-transport-only",
    description="S3 bucket policies deny every request made without TLS (aws:SecureTransport = false).",
    criteria=("CC6.1", "CC6.7"),
    anchors="Prowler s3_bucket_secure_transport_policy; Steampipe s3_bucket_enforces_ssl; AWS Config S3_BUCKET_SSL_REQUESTS_ONLY",
    severity=Severity.HIGH,
    remediation="Add a bucket policy statement: Effect Deny, Principal '*', Action 's3:*', Resource the bucket and its "
                "objects, Condition Bool aws:SecureTransport 'false'.",
    domain=_S3_DOMAIN,
)
def s3_secure_transport(args: StackValidationArgs, report: Report, check: Check) -> None:
    deferred = Deferred()
    for bucket in _view(args).buckets:
        with deferred.each():
            if not any(_denies_insecure_transport(json_document(get(src, "policy"))) for src in bucket.policy_sources):
                report(f"bucket {bucket.label} has no policy statement denying aws:SecureTransport=false", bucket.urn)
    deferred.finish()


# --- rule 9 ----------------------------------------------------------------------------------------------------

@stack_policy(
    name="s3-server-access-logging",
    description="S3 buckets log server access to another bucket. A bucket that receives access logs need not log itself.",
    criteria=("CC7.2", "CC7.3", "A1.2"),
    anchors="Prowler s3_bucket_server_access_logging_enabled; AWS Config S3_BUCKET_LOGGING_ENABLED",
    severity=Severity.MEDIUM,
    remediation="Add aws.s3.BucketLogging with target_bucket set to a separate access-log bucket (SSE-S3, no Object Lock).",
    domain=_S3_DOMAIN,
)
def s3_access_logging(args: StackValidationArgs, report: Report, check: Check) -> None:
    view = _view(args)
    for bucket in view.buckets:
        if bucket.log_target:
            continue
        if not bucket.log_targets:
            report(f"bucket {bucket.label} has no server access logging", bucket.urn)
        for target_resource, target_name in bucket.log_targets:
            if (target_resource is not None and target_resource.urn == bucket.urn) or target_name in bucket.names:
                report(f"bucket {bucket.label} logs server access to itself", bucket.urn)


# --- rule 10 ---------------------------------------------------------------------------------------------------

@stack_policy(
    name="s3-acls-disabled",
    description="S3 buckets disable ACLs (object ownership BucketOwnerEnforced) and carry no public ACL or grant.",
    criteria=("CC6.1",),
    anchors="Prowler s3_bucket_acl_prohibited; AWS Config S3_BUCKET_ACL_PROHIBITED",
    severity=Severity.HIGH,
    remediation="Add aws.s3.BucketOwnershipControls with object_ownership 'BucketOwnerEnforced' and remove public ACLs/grants.",
    domain=_S3_DOMAIN,
)
def s3_acls_disabled(args: StackValidationArgs, report: Report, check: Check) -> None:
    for bucket in _view(args).buckets:
        if "BucketOwnerEnforced" not in bucket.ownership:
            report(f"bucket {bucket.label} does not enforce bucket-owner object ownership (ACLs stay enabled)", bucket.urn)
        public = sorted({a for a in bucket.acls if a in PUBLIC_CANNED_ACLS} | {u for u in bucket.grant_uris if u in PUBLIC_GRANTEES})
        if public:
            report(f"bucket {bucket.label} has a public ACL: {', '.join(public)}", bucket.urn)


# --- GCS -------------------------------------------------------------------------------------------------------

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


def _retention_days(bucket: GcsBucket) -> float | None:
    seconds = number(get(bucket.props, "retentionPolicy", "retentionPeriod"))
    return None if seconds is None else seconds / SECONDS_PER_DAY


def _retention_problem(bucket: GcsBucket, min_days: float, require_locked: bool) -> str | None:
    days = _retention_days(bucket)
    if days is None:
        return "has no retention policy"
    if days < min_days:
        return f"retention policy is {days:g} days, below the minimum {min_days:g}"
    if require_locked and not truthy(get(bucket.props, "retentionPolicy", "isLocked")):
        return "retention policy is not locked"
    return None


_GCS_DOMAIN = "storage"
_ARCHIVE_NOTE = (" A working bucket without a retention policy passes when a Storage Transfer job copies it into an "
                 "archive bucket that passes (logmesh's GCS archive + working bucket design).")


@stack_policy(
    name="gcs-default-cmek",
    description="GCS buckets encrypt by default with a Cloud KMS key of this stack, and the project's GCS service agent "
                "holds roles/cloudkms.cryptoKeyEncrypterDecrypter on that key.",
    criteria=("CC6.1", "C1.1"),
    anchors="logmesh (no public anchor)",
    severity=Severity.HIGH,
    remediation="Set encryption.default_kms_key_name to the store's gcp.kms.CryptoKey and grant "
                "service-<project-number>@gs-project-accounts.iam.gserviceaccount.com roles/cloudkms.cryptoKeyEncrypterDecrypter on it.",
    domain=_GCS_DOMAIN,
)
def gcs_default_cmek(args: StackValidationArgs, report: Report, check: Check) -> None:
    resources = list(args.resources)
    keys = [r for r in resources if r.resource_type == GCP_CRYPTO_KEY]
    grants, unknown_grants = _key_grants(resources, keys)
    deferred = Deferred()
    for bucket in gcs_buckets(resources):
        with deferred.each():
            key = next(iter(deps(bucket.resource, "encryption", GCP_CRYPTO_KEY)), None)
            if key is None:
                key_name = get(bucket.props, "encryption", "defaultKmsKeyName")
                if not key_name:
                    report(f"GCS bucket {bucket.name} has no default KMS key (Google-managed encryption)", bucket.urn)
                    continue
                key = next((k for k in keys if str(key_name).endswith("/cryptoKeys/" + str(known(k.props, "name") or k.name))), None)
                if key is None:
                    report(f"GCS bucket {bucket.name} default key {key_name} is not a Cloud KMS key of this stack", bucket.urn)
                    continue
            members = grants.get(key.urn, set())
            if not any(m.endswith("@gs-project-accounts.iam.gserviceaccount.com") for m in members):
                if key.urn in unknown_grants:
                    raise unknown_grants[key.urn]
                report(f"GCS bucket {bucket.name}: the GCS service agent has no roles/cloudkms.cryptoKeyEncrypterDecrypter "
                       f"on its key {key.name}", bucket.urn)
    deferred.finish()


_KEY_USER_ROLES = ("roles/cloudkms.cryptoKeyEncrypterDecrypter", "roles/cloudkms.cryptoKeyEncrypter", "roles/cloudkms.cryptoKeyDecrypter")


def _key_grants(
    resources: list[PolicyResource], keys: list[PolicyResource]
) -> tuple[dict[str, set[str]], dict[str, UnknownValueError]]:
    """Key URN -> members holding an encrypter/decrypter role on it (IAMMember, IAMBinding or IAMPolicy),
    and key URN -> the unknown value that hid a grant's members during a preview."""
    by_name = {str(known(k.props, "name") or k.name): k for k in keys}
    found: dict[str, set[str]] = {}
    unknown: dict[str, UnknownValueError] = {}
    for r in resources:
        if not r.resource_type.startswith("gcp:kms/cryptoKeyIAM"):
            continue
        key = next(iter(deps(r, "cryptoKeyId", GCP_CRYPTO_KEY)), None)
        key_id = known(r.props, "cryptoKeyId")
        if key is None and isinstance(key_id, str):
            key = by_name.get(key_id.rsplit("/", 1)[-1])
        if key is None:
            continue
        try:
            for role, members in iam_grants(r):
                if role in _KEY_USER_ROLES:
                    found.setdefault(key.urn, set()).update(members)
        except UnknownValueError as error:
            unknown.setdefault(key.urn, error)
    return found, unknown


def iam_grants(resource: PolicyResource) -> list[tuple[str, list[str]]]:
    """(role, members) pairs of a GCP IAM Member, Binding or Policy resource (policyData is a JSON string)."""
    props = resource.props
    if resource.resource_type.endswith("IAMPolicy"):
        document = json_document(get(props, "policyData")) or {}
        return [(str(b.get("role", "")), strings(b.get("members"))) for b in as_list(document.get("bindings")) if isinstance(b, dict)]
    role = str(get(props, "role", default=""))
    if resource.resource_type.endswith("IAMMember"):
        return [(role, strings(get(props, "member")))]
    if resource.resource_type.endswith("IAMBinding"):
        return [(role, strings(get(props, "members")))]
    return []


@stack_policy(
    name="gcs-retention-policy-locked",
    description="GCS buckets have a retention policy of at least min_retention_days, locked where the environment "
                "requires it." + _ARCHIVE_NOTE,
    criteria=("CC7.2", "A1.2", "C1.2", "PI1.5"),
    anchors="Prowler cloudstorage_bucket_log_retention_policy_lock, cloudstorage_bucket_sufficient_retention_period",
    severity=Severity.HIGH,
    remediation="Set retention_policy.retention_period (seconds) >= the minimum and is_locked=True (prod), or copy the "
                "bucket into such an archive bucket with a gcp.storage.TransferJob.",
    domain=_GCS_DOMAIN,
    settings={
        "min_retention_days": RETENTION_SETTINGS["min_retention_days"],
        "require_locked": bool_setting(True, "Require the retention policy to be locked (prod)."),
    },
)
def gcs_retention_policy(args: StackValidationArgs, report: Report, check: Check) -> None:
    low, locked = float(check.settings["min_retention_days"]), bool(check.settings["require_locked"])
    deferred = Deferred()
    for bucket in gcs_buckets(list(args.resources)):
        with deferred.each():
            problem = _retention_problem(bucket, low, locked)
            if problem is None:
                continue
            if get(bucket.props, "retentionPolicy") is None and bucket.archive is not None:
                archive_problem = _retention_problem(bucket.archive, low, locked)
                if archive_problem is None:
                    continue
                report(f"GCS bucket {bucket.name} feeds archive bucket {bucket.archive.name}, whose {archive_problem}", bucket.urn)
                continue
            report(f"GCS bucket {bucket.name} {problem}", bucket.urn)
    deferred.finish()


@resource_policy(
    name="gcs-uniform-bucket-level-access",
    description="GCS buckets use uniform bucket-level access (no object ACLs).",
    criteria=("PI1.4", "CC6.1"),
    anchors="Prowler cloudstorage_bucket_uniform_bucket_level_access",
    severity=Severity.MEDIUM,
    remediation="Set uniform_bucket_level_access=True on the gcp.storage.Bucket.",
    domain=_GCS_DOMAIN,
    types=(GCS_BUCKET,),
)
def gcs_uniform_access(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    if not truthy(get(args.props, "uniformBucketLevelAccess")):
        report("uniform_bucket_level_access is not enabled")


PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")


@stack_policy(
    name="gcs-public-access-prevention",
    description="GCS buckets enforce public access prevention, and no bucket IAM or ACL grants allUsers or allAuthenticatedUsers.",
    criteria=("CC6.1",),
    anchors="Prowler cloudstorage_bucket_public_access",
    severity=Severity.CRITICAL,
    remediation="Set public_access_prevention='enforced' and remove allUsers/allAuthenticatedUsers members.",
    domain=_GCS_DOMAIN,
)
def gcs_public_access(args: StackValidationArgs, report: Report, check: Check) -> None:
    deferred = Deferred()
    for r in args.resources:
        with deferred.each():
            if r.resource_type == GCS_BUCKET:
                if get(r.props, "publicAccessPrevention") != "enforced":
                    report(f"GCS bucket {get(r.props, 'name') or r.name} does not enforce public access prevention", r.urn)
            elif r.resource_type.startswith("gcp:storage/bucketIAM"):
                public = sorted({m for _role, members in iam_grants(r) for m in members if m in PUBLIC_MEMBERS})
                if public:
                    report(f"{r.name} grants bucket access to {', '.join(public)}", r.urn)
            elif r.resource_type in ("gcp:storage/bucketAccessControl:BucketAccessControl",
                                     "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl",
                                     "gcp:storage/objectAccessControl:ObjectAccessControl") and get(r.props, "entity") in PUBLIC_MEMBERS:
                report(f"{r.name} grants {get(r.props, 'entity')} an ACL", r.urn)
    deferred.finish()


@stack_policy(
    name="gcs-lifecycle-and-versioning",
    description="GCS buckets have a lifecycle Delete rule with an age within [min_retention_days, max_retention_days] "
                "and no shorter than the retention policy, and keep deleted data recoverable: versioning on, or a "
                "retention policy (GCS allows only one of the two)." + _ARCHIVE_NOTE + " Such a working bucket needs "
                "only the upper bound.",
    criteria=("C1.2", "A1.2"),
    anchors="Prowler cloudstorage_bucket_lifecycle_management_enabled, cloudstorage_bucket_versioning_enabled",
    severity=Severity.MEDIUM,
    remediation="Add a lifecycle_rules entry action Delete with condition age in range; enable versioning or a retention policy.",
    domain=_GCS_DOMAIN,
    settings={**RETENTION_SETTINGS, "require_locked": bool_setting(True, "The archive bucket's retention policy must be locked.")},
)
def gcs_lifecycle(args: StackValidationArgs, report: Report, check: Check) -> None:
    low, high = float(check.settings["min_retention_days"]), float(check.settings["max_retention_days"])
    deferred = Deferred()
    for bucket in gcs_buckets(list(args.resources)):
        with deferred.each():
            working = (get(bucket.props, "retentionPolicy") is None and bucket.archive is not None
                       and _retention_problem(bucket.archive, low, bool(check.settings["require_locked"])) is None)
            ages = [number(get(rule, "condition", "age")) for rule in as_list(get(bucket.props, "lifecycleRules"))
                    if get(rule, "action", "type") == "Delete"]
            ages_known = [a for a in ages if a is not None]
            if not ages_known:
                report(f"GCS bucket {bucket.name} has no lifecycle Delete rule with an age", bucket.urn)
            for age in ages_known:
                if age > high:
                    report(f"GCS bucket {bucket.name} deletes after {age:g} days, above the maximum {high:g}", bucket.urn)
                elif age < low and not working:
                    report(f"GCS bucket {bucket.name} deletes after {age:g} days, below the minimum {low:g}", bucket.urn)
            retention = _retention_days(bucket)
            if retention is not None and ages_known and max(ages_known) < retention:
                report(f"GCS bucket {bucket.name}: Delete age {max(ages_known):g} days is shorter than its retention "
                       f"policy {retention:g} days", bucket.urn)
            if retention is None and not truthy(get(bucket.props, "versioning", "enabled")) and not working:
                report(f"GCS bucket {bucket.name} has neither versioning nor a retention policy", bucket.urn)
    deferred.finish()


# --- rule 33 ---------------------------------------------------------------------------------------------------

@resource_policy(
    name="log-store-deletion-protected",
    description="Buckets that hold logs are protected from deletion: the `protect` resource option is set and "
                "force_destroy is off. (Retain-on-delete is not visible to policy packs: the analyzer's resource "
                "options carry no such field, so it cannot be checked here.)",
    criteria=("A1.2", "C1.1"),
    anchors="Prowler kms_cmk_not_deleted_unintentionally (analogue)",
    severity=Severity.HIGH,
    remediation="Pass opts=pulumi.ResourceOptions(protect=True, retain_on_delete=True) and do not set force_destroy.",
    domain="storage",
    types=(*S3_BUCKET_TYPES, GCS_BUCKET),
    settings={"require_protect": bool_setting(True, "Require the protect resource option (prod).")},

)
def log_store_deletion_protected(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    if truthy(get(args.props, "forceDestroy")):
        report("force_destroy is on: deleting the resource would delete every log object")
    if check.settings["require_protect"] and not args.opts.protect:
        report("the protect resource option is not set")


POLICIES = [
    s3_default_encryption_kms,
    s3_sse_customer_managed_key,
    s3_versioning_enabled,
    s3_object_lock,
    s3_lifecycle_expiration,
    s3_retention_bounds,
    s3_public_access_block,
    s3_secure_transport,
    s3_access_logging,
    s3_acls_disabled,
    gcs_default_cmek,
    gcs_retention_policy,
    gcs_uniform_access,
    gcs_public_access,
    gcs_lifecycle,
    log_store_deletion_protected,
]
