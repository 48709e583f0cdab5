from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from policies.framework import BASELINE, Check, Report, days_setting, resource_policy
from policies.lib.types import AWS_KEY
from policies.lib.values import get, number, truthy


@resource_policy(
    name="aws-kms-key-rotation-enabled",
    description="Symmetric AWS KMS keys rotate automatically, at most every max_rotation_days.",
    criteria=("PI1.5", "CC6.1"),
    anchors="Prowler kms_cmk_rotation_enabled; AWS Config CMK_BACKING_KEY_ROTATION_ENABLED",
    severity=Severity.MEDIUM,
    remediation="Set enable_key_rotation=True (and rotation_period_in_days <= the maximum) on the aws.kms.Key.",
    domain="keys",
    tier=BASELINE,
    types=(AWS_KEY,),
    settings={"max_rotation_days": days_setting(365, "Longest allowed automatic rotation period, in days (AWS: 90-2560).")},
)
def aws_kms_key_rotation_enabled(args: ResourceValidationArgs, report: Report, check: Check) -> None:
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
