from __future__ import annotations

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from policies.framework import LOG_STORES, Check, Deferred, Report, stack_policy
from policies.lib.gcs import project_of
from policies.lib.scope import SCOPE_SETTINGS, log_stores
from policies.lib.types import AUDIT_CONFIG_TYPES, GCP_CRYPTO_KEY, GCP_KEY_RING, GCS_BUCKET
from policies.lib.values import as_list, get, known


def _audited(configs: list[PolicyResource], project: str, service: str) -> bool:
    for config in configs:
        if get(config.props, "service") not in ("allServices", service):
            continue
        if config.resource_type.startswith("gcp:projects/"):
            scope = project_of(config)
            if scope and project and scope != project:
                continue
        kinds = {str(get(c, "logType")) for c in as_list(get(config.props, "auditLogConfigs"))}
        if {"DATA_READ", "DATA_WRITE"} <= kinds:
            return True
    return False


@stack_policy(
    name="gcp-data-access-audit-logs",
    description="Data Access audit logs (DATA_READ and DATA_WRITE) are on for Cloud Storage and Cloud KMS in every "
    "project holding a log store bucket or a Cloud KMS key (project, folder or organisation IAMAuditConfig, or allServices).",
    criteria=("CC7.2", "CC7.3", "A1.2"),
    anchors="Prowler iam_audit_logs_enabled",
    severity=Severity.MEDIUM,
    remediation="Add gcp.projects.IAMAuditConfig for storage.googleapis.com and cloudkms.googleapis.com with "
    "audit_log_configs DATA_READ and DATA_WRITE.",
    domain="stack",
    applies_to=LOG_STORES,
    settings=SCOPE_SETTINGS,
)
def gcp_data_access_audit_logs(args: StackValidationArgs, report: Report, check: Check) -> None:
    configs = [r for r in args.resources if r.resource_type in AUDIT_CONFIG_TYPES]
    services = {GCS_BUCKET: "storage.googleapis.com", GCP_CRYPTO_KEY: "cloudkms.googleapis.com"}
    deferred = Deferred()
    reported: set[tuple[str, str]] = set()
    by_urn = {r.urn: r for r in args.resources}
    stores = log_stores(args.resources, check.settings)
    by_name = {str(known(r.props, "name") or r.name): r for r in args.resources if r.resource_type in (GCS_BUCKET, GCP_KEY_RING)}
    for r in sorted(args.resources, key=lambda r: r.urn):
        if r.resource_type not in services or (r.resource_type == GCS_BUCKET and r.urn not in stores):
            continue
        with deferred.each():
            project, service = project_of(r, by_urn, by_name), services[r.resource_type]
            if (project, service) not in reported and not _audited(configs, project, service):
                reported.add((project, service))
                report(f"project {project or '(provider default)'} has no DATA_READ/DATA_WRITE audit logs for {service}", r.urn)
    deferred.finish()
