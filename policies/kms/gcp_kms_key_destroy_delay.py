from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from policies.framework import Check, Report, days_setting, resource_policy
from policies.lib.types import GCP_CRYPTO_KEY
from policies.lib.values import get

DEFAULT_DAYS = 30  # Cloud KMS keeps a version scheduled for destruction 30 days when the key does not say


def _days(duration: object) -> float | None:
    text = str(duration).strip()
    try:
        return float(text.removesuffix("s")) / 86400 if text.endswith("s") else None
    except ValueError:
        return None


@resource_policy(
    name="gcp-kms-key-destroy-delay",
    description="Cloud KMS keys keep a version scheduled for destruction at least min_destroy_delay_days "
    "(destroy_scheduled_duration; Cloud KMS default 30 days), the twin of the AWS deletion window.",
    criteria=("A1.2", "C1.1"),
    anchors="Prowler kms_cmk_not_deleted_unintentionally (analogue); checkov CKV_GCP_82",
    severity=Severity.MEDIUM,
    remediation='Leave destroy_scheduled_duration unset or set it to at least "2592000s" (30 days) on the gcp.kms.CryptoKey.',
    domain="keys",
    types=(GCP_CRYPTO_KEY,),
    settings={"min_destroy_delay_days": days_setting(30, "Shortest allowed destroy delay of a key version, in days.")},
)
def gcp_kms_key_destroy_delay(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    raw = get(args.props, "destroyScheduledDuration")
    days = DEFAULT_DAYS if raw is None else _days(raw)
    limit = float(check.settings["min_destroy_delay_days"])
    if days is None:
        report(f'destroy_scheduled_duration {raw!r} is not a duration in seconds like "2592000s"')
    elif days < limit:
        report(f"a destroyed key version is gone after {days:g} days, sooner than {limit:g}")
