from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from policies.framework import BASELINE, Check, Report, days_setting, resource_policy
from policies.lib.types import GCP_CRYPTO_KEY
from policies.lib.values import get, number


@resource_policy(
    name="gcp-kms-key-rotation-period",
    description="Cloud KMS encryption keys rotate at least every max_rotation_days.",
    criteria=("PI1.5", "CC6.1"),
    anchors="Prowler kms_key_rotation_enabled; Steampipe kms_key_rotated_within_90_day",
    severity=Severity.MEDIUM,
    remediation="Set rotation_period (e.g. '7776000s' for 90 days) on the gcp.kms.CryptoKey.",
    domain="keys",
    tier=BASELINE,
    types=(GCP_CRYPTO_KEY,),
    settings={"max_rotation_days": days_setting(90, "Longest allowed rotation period, in days.")},
)
def gcp_kms_key_rotation_period(args: ResourceValidationArgs, report: Report, check: Check) -> None:
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
