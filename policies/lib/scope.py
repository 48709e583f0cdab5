"""What the log-store controls apply to: the log stores and logging clusters of a stack, each with why.

Generic SOC 2 controls (encryption, public access, TLS, least privilege, audit logging, key deletion protection)
apply to every resource of their type. Log-store controls (retention bounds, lifecycle expiration, immutability,
customer-managed keys for logs, collectors and gap alerts) apply only to:

- stores logmesh builds (a resource inside a `logmesh:*` component);
- stores a user marks: AWS tag `logmesh:log-store` = `true`, GCS label `logmesh-log-store` = `true`;
- stores a log pipeline delivers to: a bucket named in a log backend's or collector's Helm values or ConfigMap
  (Loki/Elasticsearch storage), an S3 server access-log target, a CloudTrail trail's bucket, a GCS bucket a
  logging sink or a Storage Transfer job from a log store writes to.

A log-store policy's `scope` setting widens this to every bucket (`all`); `not_log_stores` narrows it (resource
names that are not log stores whatever the inference says).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from policies.examined import probing
from policies.lib.kubernetes import chart_of, is_collector, string_leaves
from policies.lib.types import CONFIG_MAP, GCS_BUCKET, GCS_TRANSFER, HELM_TYPES, S3_BUCKET_TYPES, S3_LOGGING, TRAIL
from policies.lib.values import deps, ids_of, known

AWS_TAG = "logmesh:log-store"
# The log-store-scope policy reports each log store with this prefix; preflight lists them as the report's scope.
SCOPE_PREFIX = "in scope: "
GCP_LABEL = "logmesh-log-store"
BUCKET_TYPES = (*S3_BUCKET_TYPES, GCS_BUCKET)
LOG_SINK = "gcp:logging/projectSink:ProjectSink"
_BACKEND_CHARTS = ("loki", "eck-elasticsearch", "eck-stack", "elasticsearch", "fluent-bit", "alloy", "vector", "tempo", "mimir")

SCOPE_SETTINGS: dict[str, dict[str, Any]] = {
    "scope": {
        "type": "string",
        "enum": ["log-stores", "all"],
        "default": "log-stores",
        "description": "Which buckets this log-store control judges: the stack's log stores (built by logmesh, tagged "
        f"{AWS_TAG}=true / labelled {GCP_LABEL}=true, or written to by a log pipeline), or every bucket.",
    },
    "not_log_stores": {
        "type": "array",
        "items": {"type": "string", "minLength": 1},
        "default": [],
        "description": "Resource names that are not log stores, whatever the inference says.",
    },
}


def built_by_logmesh(resource: PolicyResource) -> bool:
    """A resource inside one of logmesh's components: its URN's type chain names a `logmesh:` type."""
    parts = resource.urn.split("::")
    return len(parts) >= 4 and any(t.startswith("logmesh:") for t in parts[2].split("$")[:-1])


def marked(resource: PolicyResource) -> bool:
    for prop, key in (("tags", AWS_TAG), ("tagsAll", AWS_TAG), ("labels", GCP_LABEL)):
        value = known(resource.props, prop, key)
        if str(value).strip().lower() == "true":
            return True
    return False


_PIPELINE_WORDS = ("loki", "elasticsearch", "fluent", "alloy", "vector", "filebeat", "logstash")


def _pipeline_strings(resources: Iterable[PolicyResource]) -> set[str]:
    """Every string in the values of log backends and collectors (Helm) and in their ConfigMaps (by name or key).
    A value unknown in a preview names nothing."""
    found: set[str] = set()
    for r in resources:
        try:
            if r.resource_type in HELM_TYPES and (chart_of(r) in _BACKEND_CHARTS or is_collector(r)):
                found |= {text for _path, text in string_leaves(known(r.props, "values"))}
            elif r.resource_type == CONFIG_MAP:
                data = known(r.props, "data") or {}
                labels = " ".join([r.name, *map(str, data)]).lower() if isinstance(data, Mapping) else r.name.lower()
                if any(word in labels for word in _PIPELINE_WORDS):
                    for _path, text in string_leaves(data):
                        found |= {text, *text.replace('"', " ").replace("'", " ").split()}
        except UnknownValueError:
            continue
    return found


def _names(resource: PolicyResource) -> set[str]:
    names = ids_of(resource, "bucket", "name", "id", "arn")
    return names | {n.removeprefix("arn:aws:s3:::") for n in names} | {resource.name}


def log_stores(resources: Iterable[PolicyResource], settings: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Bucket URN -> why it is a log store, for every S3 and GCS bucket the log-store controls judge.

    Deciding scope is a probe, not an examination: a GCS control run over an S3-only stack reads the S3 buckets'
    names here and has evaluated nothing."""
    with probing():
        resources = list(resources)
        settings = settings or {}
        why = dict(_inferred_once(resources))
        buckets = [r for r in resources if r.resource_type in BUCKET_TYPES]
        if settings.get("scope") == "all":
            for b in buckets:
                why.setdefault(b.urn, "every bucket (scope: all)")
        excluded = set(settings.get("not_log_stores") or [])
        names = {b.urn: b.name for b in buckets}
        return {urn: reason for urn, reason in why.items() if names[urn] not in excluded}


# The last inference: (the props objects it read, bucket URN -> why).
_LAST_INFERENCE: list[tuple[list[Any], dict[str, str]]] = []


def _inferred_once(resources: list[PolicyResource]) -> dict[str, str]:
    """_inferred, computed once for the stack policies of one analysis. A dozen log-store controls each infer the
    same scope from their own view of the same resources, and under preflight those views share each resource's
    props object (preflight/analyze/memo.py), so a result is reused only for the very same props objects in the same
    order; the entry holds them, so their ids cannot be reused. Under the CLI every policy gets new props: no reuse."""
    props = [r.props for r in resources]
    if _LAST_INFERENCE:
        seen, result = _LAST_INFERENCE[0]
        if len(seen) == len(props) and all(a is b for a, b in zip(seen, props, strict=True)):
            return result
    result = _inferred(resources)
    _LAST_INFERENCE[:] = [(props, result)]
    return result


def _inferred(resources: list[PolicyResource]) -> dict[str, str]:
    """Bucket URN -> why, from what the stack says: built by logmesh, marked, or written to by a log pipeline."""
    buckets = [r for r in resources if r.resource_type in BUCKET_TYPES]
    by_urn = {b.urn: b for b in buckets}
    by_name = {n: b for b in buckets for n in _names(b)}
    why: dict[str, str] = {}

    def add(bucket: PolicyResource | None, reason: str) -> None:
        if bucket is not None and bucket.urn not in why:
            why[bucket.urn] = reason

    def referenced(r: PolicyResource, prop: str) -> list[PolicyResource]:
        found = [by_urn[d.urn] for d in deps(r, prop) if d.urn in by_urn]
        value = known(r.props, prop)
        if isinstance(value, str):
            name = value.removeprefix("arn:aws:s3:::").removeprefix("storage.googleapis.com/")
            found += [by_name[name]] if name in by_name else []
        return found

    for b in buckets:
        if built_by_logmesh(b):
            add(b, "built by logmesh")
        elif marked(b):
            add(b, f"marked {AWS_TAG if b.resource_type in S3_BUCKET_TYPES else GCP_LABEL}=true")
    for r in resources:
        if r.resource_type in S3_LOGGING:
            for target in referenced(r, "targetBucket"):
                add(target, f"receives S3 server access logs ({r.name})")
        elif r.resource_type in S3_BUCKET_TYPES:
            for target in referenced(r, "logging"):
                add(target, f"receives S3 server access logs ({r.name})")
            logging = known(r.props, "logging")
            for item in logging if isinstance(logging, list) else [logging]:
                name = known(item, "targetBucket")
                if isinstance(name, str) and name in by_name:
                    add(by_name[name], f"receives S3 server access logs ({r.name})")
        elif r.resource_type == TRAIL:
            for target in referenced(r, "s3BucketName"):
                add(target, f"CloudTrail trail {r.name} delivers to it")
        elif r.resource_type == LOG_SINK:
            for target in referenced(r, "destination"):
                add(target, f"logging sink {r.name} delivers to it")
    for text in _pipeline_strings(resources):
        name = text.removeprefix("s3://").removeprefix("gs://").split("/", 1)[0]
        if name in by_name:
            add(by_name[name], "a log backend's storage config names it")
    for job in (r for r in resources if r.resource_type == GCS_TRANSFER):
        sources = [by_name.get(str(known(job.props, "transferSpec", "gcsDataSource", "bucketName")))]
        if any(s is not None and s.urn in why for s in sources):
            add(by_name.get(str(known(job.props, "transferSpec", "gcsDataSink", "bucketName"))), f"archive of a log store ({job.name})")
    return why


def has_log_platform(resources: Iterable[PolicyResource]) -> bool:
    """Whether the stack runs a log platform: a logmesh component, a log backend or a collector."""
    for r in resources:
        if r.resource_type.startswith("logmesh:") or built_by_logmesh(r):
            return True
        if r.resource_type in HELM_TYPES and chart_of(r) in _BACKEND_CHARTS:
            return True
        if r.resource_type.startswith("kubernetes:") and is_collector(r):
            return True
    return False
