"""IAM documents and grants: AWS policy statements, principals and conditions, and which AWS actions can be scoped
to a resource; GCP IAM member/binding/policy grants."""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import PolicyResource

from policies.lib.types import IAM_POLICY_DOCUMENTS, S3_BUCKET_TYPES
from policies.lib.values import as_list, get, json_document, known, strings


def statements(document: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    if not document:
        return []
    return [s for s in as_list(document.get("Statement")) if isinstance(s, dict)]


def principals(statement: Mapping[str, Any]) -> dict[str, list[str]]:
    """A statement's Principal as {"AWS": [...], "Service": [...], "Federated": [...]}; "*" becomes {"*": ["*"]}."""
    principal = statement.get("Principal")
    if principal is None:
        return {}
    if isinstance(principal, str):
        return {"*": [principal]} if principal == "*" else {"AWS": [principal]}
    if isinstance(principal, Mapping):
        return {str(k): strings(v) for k, v in principal.items()}
    return {}


def condition_keys(statement: Mapping[str, Any]) -> dict[str, list[str]]:
    """Condition keys (lower-cased) to their values, across operators."""
    found: dict[str, list[str]] = {}
    for _operator, clause in (statement.get("Condition") or {}).items():
        if isinstance(clause, Mapping):
            for key, value in clause.items():
                found.setdefault(str(key).lower(), []).extend(strings(value))
    return found


def condition(statement: Mapping[str, Any], operator_suffix: str, key: str) -> list[str] | None:
    """Values of `key` under an operator ending in `operator_suffix` (e.g. "Bool", "StringEquals")."""
    for operator, clause in (statement.get("Condition") or {}).items():
        if str(operator).endswith(operator_suffix) and isinstance(clause, Mapping):
            for k, v in clause.items():
                if str(k).lower() == key.lower():
                    return strings(v)
    return None


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


PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")
# Roles that let a member use a Cloud KMS key (encrypt, decrypt or both).
KMS_KEY_USER_ROLES = (
    "roles/cloudkms.cryptoKeyEncrypterDecrypter",
    "roles/cloudkms.cryptoKeyEncrypter",
    "roles/cloudkms.cryptoKeyDecrypter",
)


# Access level of actions that only list or describe metadata: AWS's own ReadOnlyAccess and SecurityAudit grant these
# on `*`, and a scoped grant buys nothing (`ec2:Describe*`).
LIST_LEVEL = "List"


@functools.cache
def _privileges() -> dict[str, dict[str, tuple[str, list[str]]]]:
    """AWS's service authorization data as parliament ships it: service prefix -> action (lower case) -> (access
    level, the resource types the action can be scoped to; [] when it supports no resource-level permission)."""
    from parliament import iam_definition  # loads its JSON on import

    return {
        str(service["prefix"]).lower(): {
            str(p["privilege"]).lower(): (
                str(p["access_level"]),
                sorted({str(t["resource_type"]).rstrip("*") for t in p["resource_types"] if t["resource_type"]}),
            )
            for p in service["privileges"]
        }
        for service in iam_definition
    }


@functools.cache
def scoped_resource_types(action: str) -> dict[str, list[str]] | None:
    """For an IAM action pattern (`ec2:Describe*`, `s3:GetObject`): each matching action that can be scoped to a
    resource and reads or changes more than metadata (access level other than List), with its resource types; {} when
    none (AWS authorizes them on `*` only, or they only list); None when the service or action is not in AWS's data."""
    service, _, name = action.lower().partition(":")
    actions = _privileges().get(service)
    if actions is None or not name:
        return None
    matched = {a: entry for a, entry in actions.items() if fnmatch.fnmatchcase(a, name)}
    if not matched:
        return None
    return {f"{service}:{a}": types for a, (level, types) in sorted(matched.items()) if types and level != LIST_LEVEL}


GOVERNANCE_BYPASS = "s3:bypassgovernanceretention"


def bypass_grants(resources: Iterable[PolicyResource]) -> list[str]:
    """Names of the stack's IAM and bucket policies (and roles' inline policies) with an Allow statement whose actions
    cover s3:BypassGovernanceRetention (`*`, `s3:*`, `s3:Bypass*`...). A value unknown in a preview grants nothing."""
    found: list[str] = []
    for r in resources:
        if r.resource_type in IAM_POLICY_DOCUMENTS or r.resource_type == "aws:s3/bucketPolicy:BucketPolicy":
            sources = [(r.name, known(r.props, "policy"))]
        elif r.resource_type in ("aws:iam/role:Role", *S3_BUCKET_TYPES):
            props = r.props
            inline = known(props, "inlinePolicies") or []
            sources = [(r.name, known(p, "policy")) for p in (inline if isinstance(inline, list) else [])]
            if r.resource_type in S3_BUCKET_TYPES:
                sources.append((r.name, known(props, "policy")))
        else:
            continue
        for name, raw in sources:
            for s in statements(json_document(raw) if isinstance(raw, str | Mapping) else None):
                actions = [a.lower() for a in strings(s.get("Action"))]
                if s.get("Effect") == "Allow" and any(fnmatch.fnmatchcase(GOVERNANCE_BYPASS, a) for a in actions) and name not in found:
                    found.append(name)
    return found
