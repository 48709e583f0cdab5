"""Encryption key rules: AWS KMS (rules 11-13) and Cloud KMS (21-22)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity, StackValidationArgs

from policies.common import (
    Check,
    Deferred,
    Report,
    condition_keys,
    days_setting,
    get,
    json_document,
    number,
    principals,
    resource_policy,
    stack_policy,
    statements,
    strings,
    truthy,
)
from policies.storage import PUBLIC_MEMBERS, iam_grants

AWS_KEY = "aws:kms/key:Key"
AWS_KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
GCP_CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey"
_DOMAIN = "keys"

# Condition keys that tie a `*` principal to known callers (an account, organisation, source or network).
RESTRICTING_CONDITION_KEYS = {
    "aws:sourceaccount", "aws:sourcearn", "aws:sourceowner", "aws:principalaccount", "aws:principalarn",
    "aws:principalorgid", "aws:principalorgpaths", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceorgid",
    "kms:calleraccount",
}


@resource_policy(
    name="aws-kms-key-rotation-enabled",
    description="Symmetric AWS KMS keys rotate automatically, at most every max_rotation_days.",
    criteria=("PI1.5", "CC6.1"),
    anchors="Prowler kms_cmk_rotation_enabled; AWS Config CMK_BACKING_KEY_ROTATION_ENABLED",
    severity=Severity.MEDIUM,
    remediation="Set enable_key_rotation=True (and rotation_period_in_days <= the maximum) on the aws.kms.Key.",
    domain=_DOMAIN,
    types=(AWS_KEY,),
    settings={"max_rotation_days": days_setting(365, "Longest allowed automatic rotation period, in days (AWS: 90-2560).")},
)
def aws_key_rotation(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    spec = get(args.props, "customerMasterKeySpec") or get(args.props, "keySpec") or "SYMMETRIC_DEFAULT"
    if spec != "SYMMETRIC_DEFAULT" or get(args.props, "customKeyStoreId"):
        args.not_applicable("only symmetric keys in the AWS KMS key store support automatic rotation")
    if not truthy(get(args.props, "enableKeyRotation")):
        report("automatic key rotation is off (enable_key_rotation)")
        return
    period = number(get(args.props, "rotationPeriodInDays"))
    limit = float(check.settings["max_rotation_days"])
    if (period or 365.0) > limit:
        report(f"rotation period {period or 365.0:g} days exceeds the maximum {limit:g}")


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
    description="AWS KMS key policies grant no `*` principal without a condition that restricts the caller "
                "(account, organisation, source). The account root and service principals are not public.",
    criteria=("CC6.1", "CC6.3"),
    anchors="Prowler kms_key_not_publicly_accessible",
    severity=Severity.CRITICAL,
    remediation="Replace Principal '*' with the account root or named roles, or add an aws:PrincipalAccount / "
                "kms:CallerAccount / aws:SourceAccount condition.",
    domain=_DOMAIN,
    types=(AWS_KEY, AWS_KEY_POLICY),
)
def aws_key_policy_not_public(args: ResourceValidationArgs, report: Report, check: Check) -> None:
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


@resource_policy(
    name="aws-kms-key-deletion-window",
    description="AWS KMS keys wait at least min_deletion_window_days before deletion (AWS default and maximum: 30).",
    criteria=("CC6.1",),
    anchors="Steampipe kms_key_not_pending_deletion; AWS Config KMS_CMK_NOT_SCHEDULED_FOR_DELETION",
    severity=Severity.MEDIUM,
    remediation="Set deletion_window_in_days=30 (or leave it unset) on the aws.kms.Key.",
    domain=_DOMAIN,
    types=(AWS_KEY,),
    settings={"min_deletion_window_days": days_setting(30, "Shortest allowed deletion window, in days (7-30).", minimum=7)},
)
def aws_key_deletion_window(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    window = number(get(args.props, "deletionWindowInDays"))
    limit = float(check.settings["min_deletion_window_days"])
    if window is not None and window < limit:
        report(f"deletion window is {window:g} days, shorter than {limit:g}")


@resource_policy(
    name="gcp-kms-key-rotation-period",
    description="Cloud KMS encryption keys rotate at least every max_rotation_days.",
    criteria=("PI1.5", "CC6.1"),
    anchors="Prowler kms_key_rotation_enabled; Steampipe kms_key_rotated_within_90_day",
    severity=Severity.MEDIUM,
    remediation="Set rotation_period (e.g. '7776000s' for 90 days) on the gcp.kms.CryptoKey.",
    domain=_DOMAIN,
    types=(GCP_CRYPTO_KEY,),
    settings={"max_rotation_days": days_setting(90, "Longest allowed rotation period, in days.")},
)
def gcp_key_rotation(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    if (get(args.props, "purpose") or "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT":
        args.not_applicable("only symmetric ENCRYPT_DECRYPT keys rotate automatically")
    period = get(args.props, "rotationPeriod")
    limit = float(check.settings["max_rotation_days"])
    if not period:
        report("no rotation_period: the key never rotates")
        return
    seconds = number(str(period).removesuffix("s"))
    if seconds is None:
        report(f"rotation_period {period!r} is not a duration in seconds like '7776000s'")
    elif seconds / 86400 > limit:
        report(f"rotation period {seconds / 86400:g} days exceeds the maximum {limit:g}")


_KMS_ADMIN_ROLES = {"roles/cloudkms.admin", "roles/owner"}
_KMS_USER_ROLES = {"roles/cloudkms.cryptoKeyEncrypterDecrypter", "roles/cloudkms.cryptoKeyEncrypter", "roles/cloudkms.cryptoKeyDecrypter"}
_KEY_IAM_PREFIXES = ("gcp:kms/cryptoKeyIAM", "gcp:kms/keyRingIAM", "gcp:projects/iAM")
# Representative AWS KMS actions: a principal whose action patterns match both lists administers and uses a key.
_AWS_ADMIN_ACTIONS = ("kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:UpdateKeyDescription",
                      "kms:DeleteAlias", "kms:CreateAlias", "kms:EnableKeyRotation")
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
    domain=_DOMAIN,
)
def kms_separation(args: StackValidationArgs, report: Report, check: Check) -> None:
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
                    if member in PUBLIC_MEMBERS and (role in _KMS_USER_ROLES or role.startswith("roles/cloudkms.")):
                        report(f"{r.name} grants {role} to {member}", r.urn)
                    if role in _KMS_ADMIN_ROLES:
                        admins.setdefault(member, []).append(r.urn)
                    if role in _KMS_USER_ROLES:
                        users.setdefault(member, []).append(r.urn)
    for member in sorted(set(admins) & set(users)):
        report(f"{member} both administers and uses Cloud KMS keys", users[member][0])
    deferred.finish()


POLICIES = [aws_key_rotation, aws_key_policy_not_public, aws_key_deletion_window, gcp_key_rotation, kms_separation]

__all__ = ["POLICIES", "public_statements", "strings"]
