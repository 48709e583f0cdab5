from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from policies.framework import Check, Report, days_setting, resource_policy
from policies.lib.types import AWS_KEYS_WITH_DELETION_WINDOW
from policies.lib.values import get, number


@resource_policy(
    name="aws-kms-key-deletion-window",
    description="AWS KMS keys (also replica and imported keys) wait at least min_deletion_window_days before deletion "
    "(AWS default and maximum: 30).",
    criteria=("CC6.1",),
    anchors="Steampipe kms_key_not_pending_deletion; AWS Config KMS_CMK_NOT_SCHEDULED_FOR_DELETION",
    severity=Severity.MEDIUM,
    remediation="Set deletion_window_in_days=30 (or leave it unset) on the aws.kms.Key.",
    domain="keys",
    types=AWS_KEYS_WITH_DELETION_WINDOW,
    settings={"min_deletion_window_days": days_setting(30, "Shortest allowed deletion window, in days (7-30).", minimum=7)},
)
def aws_kms_key_deletion_window(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    window = number(get(args.props, "deletionWindowInDays"))
    limit = float(check.settings["min_deletion_window_days"])
    if window is not None and window < limit:
        report(f"deletion window is {window:g} days, shorter than {limit:g}")
