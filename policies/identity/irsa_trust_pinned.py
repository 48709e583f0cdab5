from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from policies.framework import Check, Report, resource_policy
from policies.lib.iam import condition_keys, principals, statements
from policies.lib.types import IAM_ROLE
from policies.lib.values import get, json_document, strings

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
    domain="identity",
    types=(IAM_ROLE,),
)
def irsa_trust_pinned(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    document = json_document(get(args.props, "assumeRolePolicy"))
    web_identity = [
        s for s in statements(document) if s.get("Effect") == "Allow" and "sts:AssumeRoleWithWebIdentity" in strings(s.get("Action"))
    ]
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
