"""Workload identity rules: backend IAM least privilege (rule 14), IRSA trust (15), GKE Workload Identity (23)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from policies.common import (
    Check,
    Deferred,
    Report,
    as_list,
    condition_keys,
    get,
    ids_of,
    json_document,
    principals,
    resource_policy,
    stack_policy,
    statements,
    strings,
)
from policies.storage import KMS_KEY_TYPES, S3_BUCKET_TYPES, iam_grants

IAM_ROLE = "aws:iam/role:Role"
IAM_POLICY_DOCUMENTS = {
    "aws:iam/policy:Policy": "policy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
}
IAM_ATTACHMENTS = ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment",
                   "aws:iam/userPolicyAttachment:UserPolicyAttachment", "aws:iam/groupPolicyAttachment:GroupPolicyAttachment")
BROAD_MANAGED_POLICY = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(.*/)?(AdministratorAccess|PowerUserAccess|[A-Za-z0-9]*FullAccess)$")
_DOMAIN = "identity"


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
    description="IAM policies grant no `*` action or resource and no service-wide `service:*` action; S3 and KMS "
                "actions name only buckets and keys of this stack; no broad AWS-managed policy (AdministratorAccess, "
                "PowerUserAccess, *FullAccess) is attached.",
    criteria=("CC1.3", "CC6.3"),
    anchors="Steampipe iam_policy_no_star_star; AWS Config IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS",
    severity=Severity.HIGH,
    remediation="List the exact actions (s3:GetObject, s3:PutObject, s3:DeleteObject, s3:ListBucket, kms:Decrypt, "
                "kms:GenerateDataKey...) on the store's bucket ARN, bucket ARN/* and key ARN.",
    domain=_DOMAIN,
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
            report(f"{label}: allows actions on Resource '*'", urn)
            continue
        if any(a.lower().startswith(("s3:", "kms:")) for a in actions):
            foreign = [t for t in targets if not _resource_in_stack(t, buckets, keys)]
            if foreign:
                report(f"{label}: S3/KMS access to resources that are not this stack's buckets or keys: {', '.join(foreign)}", urn)


OIDC_PROVIDER_ARN = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/(?P<issuer>.+)$")
SERVICE_ACCOUNT_SUBJECT = re.compile(r"^system:serviceaccount:[a-z0-9]([-a-z0-9.]*[a-z0-9])?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


@resource_policy(
    name="irsa-trust-pinned",
    description="IAM roles assumed with web identity (IRSA) trust one EKS OIDC provider and pin `<issuer>:sub` with "
                "StringEquals to one system:serviceaccount:<namespace>:<name>, and `<issuer>:aud` (when set) to sts.amazonaws.com.",
    criteria=("CC6.3",),
    anchors="kube-bench EKS 5.2.1 (manual)",
    severity=Severity.HIGH,
    remediation="Trust Principal {Federated: <cluster OIDC provider ARN>}, Action sts:AssumeRoleWithWebIdentity, Condition "
                "StringEquals {'<issuer>:sub': 'system:serviceaccount:<ns>:<sa>', '<issuer>:aud': 'sts.amazonaws.com'}.",
    domain=_DOMAIN,
    types=(IAM_ROLE,),
)
def irsa_trust_pinned(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    document = json_document(get(args.props, "assumeRolePolicy"))
    web_identity = [s for s in statements(document) if s.get("Effect") == "Allow"
                    and "sts:AssumeRoleWithWebIdentity" in strings(s.get("Action"))]
    if not web_identity:
        args.not_applicable("the role is not assumed with web identity")
    for s in web_identity:
        federated = principals(s).get("Federated", []) + principals(s).get("*", []) + principals(s).get("AWS", [])
        issuers = [m.group("issuer") for m in map(OIDC_PROVIDER_ARN.match, federated) if m]
        if len(issuers) != 1 or len(federated) != 1:
            report(f"web-identity trust must name exactly one OIDC provider ARN, got {', '.join(federated) or 'none'}")
            continue
        issuer = issuers[0]
        subjects = _condition_values(s, "StringEquals", f"{issuer}:sub")
        loose = condition_keys(s).get(f"{issuer}:sub".lower(), [])
        if subjects is None:
            report(f"no StringEquals condition on {issuer}:sub" + (" (StringLike allows wildcards)" if loose else ""))
        elif len(subjects) != 1 or not SERVICE_ACCOUNT_SUBJECT.match(subjects[0]):
            report(f"{issuer}:sub must be exactly one system:serviceaccount:<namespace>:<name>, got {', '.join(subjects)}")
        audiences = condition_keys(s).get(f"{issuer}:aud".lower())
        if audiences is not None and audiences != ["sts.amazonaws.com"]:
            report(f"{issuer}:aud must be sts.amazonaws.com, got {', '.join(audiences)}")
        if any(k.endswith(":sub") and not k.startswith(issuer.lower()) for k in condition_keys(s)):
            report("the sub condition names a different issuer than the trusted OIDC provider")


def _condition_values(statement: Mapping[str, Any], operator: str, key: str) -> list[str] | None:
    clause = (statement.get("Condition") or {}).get(operator)
    if not isinstance(clause, Mapping):
        return None
    for k, v in clause.items():
        if str(k).lower() == key.lower():
            return strings(v)
    return None


WORKLOAD_IDENTITY_MEMBER = re.compile(r"^serviceAccount:(?P<pool>[a-z0-9.:-]+\.svc\.id\.goog)\[(?P<ns>[a-z0-9-]+)/(?P<ksa>[a-z0-9.-]+)\]$")
_SA_IAM_PREFIX = "gcp:serviceaccount/iAM"
_PROJECT_IAM_PREFIX = "gcp:projects/iAM"
_ADMIN_ROLES = {"roles/owner", "roles/editor", "roles/iam.securityAdmin", "roles/iam.serviceAccountAdmin",
                "roles/iam.serviceAccountKeyAdmin", "roles/resourcemanager.projectIamAdmin", "roles/cloudkms.admin"}


@stack_policy(
    name="gcp-workload-identity-scoped",
    description="GKE Workload Identity binds a Google service account only to named Kubernetes service accounts in "
                "allowed namespaces; service accounts get storage roles on buckets, not the project, and no admin "
                "roles; no user-managed service account keys exist.",
    criteria=("CC6.3",),
    anchors="Prowler iam_sa_no_administrative_privileges, iam_sa_no_user_managed_keys",
    severity=Severity.HIGH,
    remediation="Grant roles/iam.workloadIdentityUser to serviceAccount:<project>.svc.id.goog[<ns>/<ksa>] only, "
                "grant storage roles with gcp.storage.BucketIAMMember, and delete gcp.serviceaccount.Key resources.",
    domain=_DOMAIN,
    settings={"allowed_namespaces": {
        "type": "array", "items": {"type": "string"}, "default": ["logging"],
        "description": "Kubernetes namespaces whose service accounts may impersonate Google service accounts.",
    }},
)
def gcp_workload_identity(args: StackValidationArgs, report: Report, check: Check) -> None:
    allowed = set(check.settings["allowed_namespaces"])
    deferred = Deferred()
    for r in args.resources:
        with deferred.each():
            if r.resource_type == "gcp:serviceaccount/key:Key":
                report(f"{r.name} is a user-managed service account key", r.urn)
            elif r.resource_type.startswith(_SA_IAM_PREFIX):
                for role, members in iam_grants(r):
                    if role != "roles/iam.workloadIdentityUser":
                        continue
                    for member in members:
                        match = WORKLOAD_IDENTITY_MEMBER.match(member)
                        if match is None:
                            report(f"{r.name} lets {member} impersonate the service account (not one Kubernetes service account)", r.urn)
                        elif match.group("ns") not in allowed:
                            report(f"{r.name} binds namespace {match.group('ns')}, not one of {', '.join(sorted(allowed))}", r.urn)
            elif r.resource_type.startswith(_PROJECT_IAM_PREFIX) and not r.resource_type.endswith("AuditConfig:IAMAuditConfig"):
                for role, members in iam_grants(r):
                    service_accounts = [m for m in members if m.startswith("serviceAccount:")]
                    if not service_accounts:
                        continue
                    if role.startswith("roles/storage."):
                        report(f"{r.name} grants {role} on the whole project to {', '.join(service_accounts)}; "
                               "grant it on the bucket", r.urn)
                    elif role in _ADMIN_ROLES:
                        report(f"{r.name} grants the administrative role {role} to {', '.join(service_accounts)}", r.urn)
    deferred.finish()


POLICIES = [backend_iam_least_privilege, irsa_trust_pinned, gcp_workload_identity]
