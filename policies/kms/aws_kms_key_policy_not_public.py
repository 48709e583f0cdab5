from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from policies.framework import Check, Report, resource_policy
from policies.lib.iam import condition_keys, principals, statements
from policies.lib.types import AWS_KEY, AWS_KEY_POLICY
from policies.lib.values import get, json_document

# Condition keys that tie a `*` principal to known callers (an account, organisation, source or network).
RESTRICTING_CONDITION_KEYS = {
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceowner",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceorgid",
    "kms:calleraccount",
}


def public_statements(document: Mapping[str, Any] | None) -> list[str]:
    """Sids (or indexes) of Allow statements open to any AWS principal (Principal `*`, or any NotPrincipal)
    without a restricting condition.

    The account root (arn:aws:iam::<account>:root) is the account itself, and service principals
    (with or without aws:SourceAccount) are AWS services, not the public: neither is reported."""
    found = []
    for index, s in enumerate(statements(document)):
        if s.get("Effect") != "Allow":
            continue
        who = principals(s)
        # Allow with NotPrincipal grants everyone except the principals it names.
        if "*" not in who.get("*", []) + who.get("AWS", []) and "NotPrincipal" not in s:
            continue
        # A restricting key whose every value is a wildcard (`StringLike aws:PrincipalAccount "*"`) pins no one.
        conditions = condition_keys(s)
        if any(any(v.strip("*?") for v in conditions[key]) for key in RESTRICTING_CONDITION_KEYS & set(conditions)):
            continue
        found.append(str(s.get("Sid") or f"#{index}"))
    return found


@resource_policy(
    name="aws-kms-key-policy-not-public",
    description="AWS KMS key policies grant no `*` principal without a condition that restricts the caller (account, "
    "organisation, source).",
    criteria=("CC6.1", "CC6.3"),
    anchors="Prowler kms_key_not_publicly_accessible",
    severity=Severity.CRITICAL,
    remediation="Replace Principal '*' with the account root or named roles, or add an aws:PrincipalAccount / "
    "kms:CallerAccount / aws:SourceAccount condition.",
    domain="keys",
    types=(AWS_KEY, AWS_KEY_POLICY),
)
def aws_kms_key_policy_not_public(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    """The account root and service principals are not public."""
    raw = get(args.props, "policy")
    if raw is None:
        return  # AWS applies the default key policy: the account root only.
    document = json_document(raw)
    if document is None:
        report("the key policy is not a valid JSON policy document")
        return
    public = public_statements(document)
    if public:
        report(f"key policy statements allow any principal without a restricting condition: {', '.join(public)}")
