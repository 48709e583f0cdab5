from __future__ import annotations

from pulumi_policy import Severity, StackValidationArgs

from policies.framework import LOG_STORES, RETENTION_SETTINGS, SOC2, Check, Deferred, Report, bool_setting, stack_policy
from policies.lib.gcs import gcs_buckets, retention_problem
from policies.lib.scope import SCOPE_SETTINGS, log_stores
from policies.lib.values import get


@stack_policy(
    name="gcs-retention-policy-locked",
    description="GCS buckets have a retention policy of at least min_retention_days, locked where the environment requires it.",
    criteria=("CC7.2", "A1.2", "C1.2", "PI1.5"),
    anchors="Prowler cloudstorage_bucket_log_retention_policy_lock, cloudstorage_bucket_sufficient_retention_period",
    severity=Severity.HIGH,
    remediation="Set retention_policy.retention_period (seconds) >= the minimum and is_locked=True (prod), or copy the "
    "bucket into such an archive bucket with a gcp.storage.TransferJob.",
    domain="storage",
    tier=SOC2,
    applies_to=LOG_STORES,
    settings={
        **SCOPE_SETTINGS,
        "min_retention_days": RETENTION_SETTINGS["min_retention_days"],
        "require_locked": bool_setting(True, "Require the retention policy to be locked (prod)."),
    },
)
def gcs_retention_policy_locked(args: StackValidationArgs, report: Report, check: Check) -> None:
    """A working bucket without a retention policy passes when a Storage Transfer job copies it into an archive
    bucket that passes (logmesh's GCS archive + working bucket design)."""
    low, locked = float(check.settings["min_retention_days"]), bool(check.settings["require_locked"])
    deferred = Deferred()
    stores = log_stores(args.resources, check.settings)
    for bucket in (b for b in gcs_buckets(list(args.resources)) if b.urn in stores):
        with deferred.each():
            problem = retention_problem(bucket, low, locked)
            if problem is None:
                continue
            if get(bucket.props, "retentionPolicy") is None and bucket.archive is not None:
                archive_problem = retention_problem(bucket.archive, low, locked)
                if archive_problem is None:
                    continue
                report(f"GCS bucket {bucket.name} feeds archive bucket {bucket.archive.name}, whose {archive_problem}", bucket.urn)
                continue
            report(f"GCS bucket {bucket.name} {problem}", bucket.urn)
    deferred.finish()
