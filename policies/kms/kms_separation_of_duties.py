from __future__ import annotations

import re
from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import Severity, StackValidationArgs

from policies.framework import Check, Deferred, Report, stack_policy
from policies.lib.iam import KMS_KEY_USER_ROLES, PUBLIC_MEMBERS, iam_grants, principals, statements
from policies.lib.types import AWS_KEY, AWS_KEY_POLICY
from policies.lib.values import get, json_document, strings

_KMS_ADMIN_ROLES = {"roles/cloudkms.admin", "roles/owner"}
_KEY_IAM_PREFIXES = ("gcp:kms/cryptoKeyIAM", "gcp:kms/keyRingIAM", "gcp:projects/iAM")


# Representative AWS KMS actions: a principal whose action patterns match both lists administers and uses a key.
_AWS_ADMIN_ACTIONS = (
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
    "kms:UpdateKeyDescription",
    "kms:DeleteAlias",
    "kms:CreateAlias",
    "kms:EnableKeyRotation",
)


_AWS_USE_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom")
ACCOUNT_ROOT = re.compile(r"^(arn:aws[a-z-]*:iam::[0-9]{12}:root|[0-9]{12})$")


def _matches(patterns: list[str], actions: tuple[str, ...]) -> bool:
    return any(fnmatchcase(a.lower(), p.lower()) for p in patterns for a in actions)


def aws_admin_users(document: Mapping[str, Any] | None) -> list[str]:
    """Principals (other than the account root, which delegates to IAM) that may both administer and use the key."""
    granted: dict[str, list[str]] = {}
    for s in statements(document):
        if s.get("Effect") != "Allow":
            continue
        for principal in principals(s).get("AWS", []):
            if not ACCOUNT_ROOT.match(principal):
                granted.setdefault(principal, []).extend(strings(s.get("Action")))
    return sorted(p for p, actions in granted.items() if _matches(actions, _AWS_ADMIN_ACTIONS) and _matches(actions, _AWS_USE_ACTIONS))


@stack_policy(
    name="kms-separation-of-duties",
    description="Key access is not public and separates duties: no member holds both a Cloud KMS administration role "
    "(cloudkms.admin, owner) and a key use role (encrypter/decrypter) on keys, key rings or the project, and "
    "no AWS principal other than the account root is granted both key administration and key use in a key policy.",
    criteria=("CC1.3", "CC6.3"),
    anchors="Prowler iam_role_kms_enforce_separation_of_duties",
    severity=Severity.HIGH,
    remediation="Grant key administration and encrypt/decrypt to different principals; remove allUsers/allAuthenticatedUsers.",
    domain="keys",
)
def kms_separation_of_duties(args: StackValidationArgs, report: Report, check: Check) -> None:
    admins: dict[str, list[str]] = {}
    users: dict[str, list[str]] = {}
    deferred = Deferred()
    for r in args.resources:
        if r.resource_type in (AWS_KEY, AWS_KEY_POLICY):
            with deferred.each():
                both = aws_admin_users(json_document(get(r.props, "policy")))
                if both:
                    report(f"key policy of {r.name} lets {', '.join(both)} both administer and use the key", r.urn)
            continue
        if not r.resource_type.startswith(_KEY_IAM_PREFIXES):
            continue
        with deferred.each():
            for role, members in iam_grants(r):
                for member in members:
                    if member in PUBLIC_MEMBERS and (role in KMS_KEY_USER_ROLES or role.startswith("roles/cloudkms.")):
                        report(f"{r.name} grants {role} to {member}", r.urn)
                    if role in _KMS_ADMIN_ROLES:
                        admins.setdefault(member, []).append(r.urn)
                    if role in KMS_KEY_USER_ROLES:
                        users.setdefault(member, []).append(r.urn)
    for member in sorted(set(admins) & set(users)):
        report(f"{member} both administers and uses Cloud KMS keys", users[member][0])
    deferred.finish()
