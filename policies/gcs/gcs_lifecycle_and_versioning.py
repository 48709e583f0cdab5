from __future__ import annotations

from pulumi_policy import Severity, StackValidationArgs

from policies.framework import LOG_STORES, RETENTION_SETTINGS, SOC2, Check, Deferred, Report, bool_setting, stack_policy
from policies.lib.gcs import gcs_buckets, retention_days, retention_problem
from policies.lib.scope import SCOPE_SETTINGS, log_stores
from policies.lib.values import as_list, get, number, truthy


@stack_policy(
    name="gcs-lifecycle-and-versioning",
    description="GCS buckets have a lifecycle Delete rule with an age within [min_retention_days, max_retention_days] and no "
    "shorter than the retention policy, and keep deleted data recoverable: versioning on, or a retention policy "
    "(GCS allows only one of the two).",
    criteria=("C1.2", "A1.2"),
    anchors="Prowler cloudstorage_bucket_lifecycle_management_enabled, cloudstorage_bucket_versioning_enabled",
    severity=Severity.MEDIUM,
    remediation="Add a lifecycle_rules entry action Delete with condition age in range; enable versioning or a retention policy.",
    domain="storage",
    tier=SOC2,
    applies_to=LOG_STORES,
    settings={
        **RETENTION_SETTINGS,
        **SCOPE_SETTINGS,
        "require_locked": bool_setting(True, "The archive bucket's retention policy must be locked."),
    },
)
def gcs_lifecycle_and_versioning(args: StackValidationArgs, report: Report, check: Check) -> None:
    """A working bucket without a retention policy passes when a Storage Transfer job copies it into an archive
    bucket that passes (logmesh's GCS archive + working bucket design). Such a working bucket needs only the
    upper bound."""
    low, high = float(check.settings["min_retention_days"]), float(check.settings["max_retention_days"])
    deferred = Deferred()
    stores = log_stores(args.resources, check.settings)
    for bucket in (b for b in gcs_buckets(list(args.resources)) if b.urn in stores):
        with deferred.each():
            working = (
                get(bucket.props, "retentionPolicy") is None
                and bucket.archive is not None
                and retention_problem(bucket.archive, low, bool(check.settings["require_locked"])) is None
            )
            ages = [
                number(get(rule, "condition", "age"))
                for rule in as_list(get(bucket.props, "lifecycleRules"))
                if get(rule, "action", "type") == "Delete"
            ]
            ages_known = [a for a in ages if a is not None]
            if not ages_known:
                report(f"GCS bucket {bucket.name} has no lifecycle Delete rule with an age", bucket.urn)
            for age in ages_known:
                if age > high:
                    report(f"GCS bucket {bucket.name} deletes after {age:g} days, above the maximum {high:g}", bucket.urn)
                elif age < low and not working:
                    report(f"GCS bucket {bucket.name} deletes after {age:g} days, below the minimum {low:g}", bucket.urn)
            retention = retention_days(bucket)
            if retention is not None and ages_known and max(ages_known) < retention:
                report(
                    f"GCS bucket {bucket.name}: Delete age {max(ages_known):g} days is shorter than its retention "
                    f"policy {retention:g} days",
                    bucket.urn,
                )
            if retention is None and not truthy(get(bucket.props, "versioning", "enabled")) and not working:
                report(f"GCS bucket {bucket.name} has neither versioning nor a retention policy", bucket.urn)
    deferred.finish()
