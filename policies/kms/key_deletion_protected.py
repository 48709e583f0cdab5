from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from policies.framework import Check, Report, bool_setting, resource_policy
from policies.lib.types import AWS_KEYS_WITH_DELETION_WINDOW, GCP_CRYPTO_KEY, GCP_KEY_RING


@resource_policy(
    name="key-deletion-protected",
    description="KMS keys and Cloud KMS key rings and keys carry the `protect` resource option, so no `pulumi destroy`, "
    "rename or replacement schedules the deletion of key material that encrypted logs depend on.",
    criteria=("A1.2", "C1.1"),
    anchors="Prowler kms_cmk_not_deleted_unintentionally; checkov CKV_GCP_82 (prevent_destroy)",
    severity=Severity.HIGH,
    remediation="Pass opts=pulumi.ResourceOptions(protect=True, retain_on_delete=True) to the key and its key ring.",
    domain="keys",
    types=(*AWS_KEYS_WITH_DELETION_WINDOW, GCP_KEY_RING, GCP_CRYPTO_KEY),
    settings={"require_protect": bool_setting(True, "Require the protect resource option (off for throwaway environments).")},
)
def key_deletion_protected(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    """Retain-on-delete is not visible to policy packs (the analyzer's resource options carry no such field), so
    only `protect` is checked; the message says so."""
    if check.settings["require_protect"] and not args.opts.protect:
        report(
            "the protect resource option is not set: deleting the resource schedules the key's destruction, and every "
            "log encrypted with it becomes unreadable (retain_on_delete cannot be seen by a policy pack; set both)"
        )
