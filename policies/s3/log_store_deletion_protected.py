from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from policies.framework import LOG_STORES, Check, Report, bool_setting, resource_policy
from policies.lib.kubernetes import as_resource
from policies.lib.scope import SCOPE_SETTINGS, built_by_logmesh, marked
from policies.lib.types import GCS_BUCKET, S3_BUCKET_TYPES
from policies.lib.values import get, truthy


@resource_policy(
    name="log-store-deletion-protected",
    description="Log stores are protected from deletion: the `protect` resource option is set and force_destroy is off.",
    criteria=("A1.2", "C1.1"),
    anchors="Prowler kms_cmk_not_deleted_unintentionally (analogue)",
    severity=Severity.HIGH,
    remediation="Pass opts=pulumi.ResourceOptions(protect=True, retain_on_delete=True) and do not set force_destroy.",
    domain="storage",
    types=(*S3_BUCKET_TYPES, GCS_BUCKET),
    applies_to=LOG_STORES,
    settings={**SCOPE_SETTINGS, "require_protect": bool_setting(True, "Require the protect resource option (prod).")},
)
def log_store_deletion_protected(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    """Retain-on-delete is not visible to policy packs: the analyzer's resource options carry no such field, so
    it cannot be checked here. A resource policy sees one resource: it judges buckets logmesh builds, buckets marked as
    log stores, and with `scope: all` every bucket (policies/lib/scope.py)."""
    if not (built_by_logmesh(as_resource(args)) or marked(as_resource(args)) or check.settings["scope"] == "all"):
        args.not_applicable("not a log store (not built by logmesh, not marked)")
    if args.name in check.settings["not_log_stores"]:
        args.not_applicable("listed in not_log_stores")
    if truthy(get(args.props, "forceDestroy")):
        report("force_destroy is on: deleting the resource would delete every log object")
    if check.settings["require_protect"] and not args.opts.protect:
        report("the protect resource option is not set")
