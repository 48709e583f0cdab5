from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from policies.framework import Check, Deferred, Report, stack_policy
from policies.lib.iam import scoped_resource_types, statements
from policies.lib.types import IAM_ATTACHMENTS, IAM_POLICY_DOCUMENTS, IAM_ROLE, KMS_KEY_TYPES, S3_BUCKET_TYPES
from policies.lib.values import as_list, get, ids_of, json_document, strings

BROAD_MANAGED_POLICY = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(.*/)?(AdministratorAccess|PowerUserAccess|[A-Za-z0-9]*FullAccess)$")


def _documents(resource: PolicyResource) -> list[tuple[str, Any]]:
    """(label, raw JSON policy) of an IAM resource; Role inline policies included."""
    if resource.resource_type in IAM_POLICY_DOCUMENTS:
        return [(resource.name, get(resource.props, IAM_POLICY_DOCUMENTS[resource.resource_type]))]
    if resource.resource_type == IAM_ROLE:
        return [(f"{resource.name}/{get(p, 'name') or 'inline'}", get(p, "policy")) for p in as_list(get(resource.props, "inlinePolicies"))]
    return []


def _stack_arns(resources: list[PolicyResource]) -> tuple[set[str], set[str]]:
    """ARNs of the stack's S3 buckets and KMS keys (with aliases)."""
    buckets: set[str] = set()
    keys: set[str] = set()
    for r in resources:
        if r.resource_type in S3_BUCKET_TYPES:
            names = ids_of(r, "bucket", "arn")
            buckets |= {n if n.startswith("arn:") else f"arn:aws:s3:::{n}" for n in names}
        elif r.resource_type in KMS_KEY_TYPES:
            keys |= {v for v in ids_of(r, "arn", "targetKeyArn") if v.startswith("arn:")}
    return buckets, keys


def _resource_in_stack(arn: str, buckets: set[str], keys: set[str]) -> bool:
    if arn in keys or arn in buckets:
        return True
    bucket_part = arn.split("/", 1)[0]
    return arn.startswith("arn:aws:s3:::") and bucket_part in buckets


@stack_policy(
    name="backend-iam-least-privilege",
    description="IAM policies allow no `*` or service-wide `service:*` action, no NotAction/NotResource, and on Resource `*` "
    "only actions that AWS authorizes on `*` alone (no resource-level permission, per AWS's service authorization data); "
    "S3 and KMS actions name only buckets and keys of this stack; no broad AWS-managed policy (AdministratorAccess, "
    "PowerUserAccess, *FullAccess) is attached.",
    criteria=("CC1.3", "CC6.3"),
    anchors="Steampipe iam_policy_no_star_star; AWS Config IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS",
    severity=Severity.HIGH,
    remediation="List the exact actions (s3:GetObject, s3:PutObject, s3:DeleteObject, s3:ListBucket, kms:Decrypt, "
    "kms:GenerateDataKey...) on the store's bucket ARN, bucket ARN/* and key ARN.",
    domain="identity",
)
def backend_iam_least_privilege(args: StackValidationArgs, report: Report, check: Check) -> None:
    resources = list(args.resources)
    buckets, keys = _stack_arns(resources)
    deferred = Deferred()
    for r in resources:
        with deferred.each():
            if r.resource_type in IAM_ATTACHMENTS:
                arn = str(get(r.props, "policyArn") or "")
                if BROAD_MANAGED_POLICY.match(arn):
                    report(f"{r.name} attaches the broad managed policy {arn.rsplit('/', 1)[-1]}", r.urn)
                continue
            if r.resource_type == IAM_ROLE:
                for arn in strings(get(r.props, "managedPolicyArns")):
                    if BROAD_MANAGED_POLICY.match(arn):
                        report(f"{r.name} attaches the broad managed policy {arn.rsplit('/', 1)[-1]}", r.urn)
            for label, raw in _documents(r):
                _check_document(label, json_document(raw), buckets, keys, report, r.urn)
    deferred.finish()


def _check_document(label: str, document: Mapping[str, Any] | None, buckets: set[str], keys: set[str], report: Report, urn: str) -> None:
    if document is None:
        report(f"{label}: the policy is not a valid JSON policy document", urn)
        return
    for s in statements(document):
        if s.get("Effect") != "Allow":
            continue
        if "NotAction" in s or "NotResource" in s:
            report(f"{label}: an Allow statement uses NotAction/NotResource", urn)
        actions, targets = strings(s.get("Action")), strings(s.get("Resource"))
        wide = [a for a in actions if a == "*" or a.endswith(":*")]
        if wide:
            report(f"{label}: allows wildcard actions {', '.join(wide)}", urn)
        if "*" in targets:
            for action in (a for a in actions if a not in wide):
                problem = _scopable(action)
                if problem:
                    report(f"{label}: allows {action} on Resource '*'; {problem}", urn)
            continue
        if any(a.lower().startswith(("s3:", "kms:")) for a in actions):
            foreign = [t for t in targets if not _resource_in_stack(t, buckets, keys)]
            if foreign:
                report(f"{label}: S3/KMS access to resources that are not this stack's buckets or keys: {', '.join(foreign)}", urn)


def _scopable(action: str) -> str:
    """Why `action` on Resource `*` is broader than needed ("" when AWS authorizes it on `*` only)."""
    scoped = scoped_resource_types(action)
    if scoped is None:
        return "it is not an action in AWS's service authorization data"
    if not scoped:
        return ""
    if "*" not in action and len(scoped) == 1:
        return f"it can be scoped to a resource ({', '.join(next(iter(scoped.values())))})"
    shown = sorted(scoped)[:3]
    return f"it expands to actions scoped to resources: {', '.join(shown)}" + (f" and {len(scoped) - 3} more" if len(scoped) > 3 else "")
