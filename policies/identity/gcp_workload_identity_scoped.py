from __future__ import annotations

import re

from pulumi_policy import Severity, StackValidationArgs

from policies.framework import Check, Deferred, Report, stack_policy
from policies.lib.iam import iam_grants

WORKLOAD_IDENTITY_MEMBER = re.compile(r"^serviceAccount:(?P<pool>[a-z0-9.:-]+\.svc\.id\.goog)\[(?P<ns>[a-z0-9-]+)/(?P<ksa>[a-z0-9.-]+)\]$")
_SA_IAM_PREFIX = "gcp:serviceaccount/iAM"
_PROJECT_IAM_PREFIX = "gcp:projects/iAM"


_ADMIN_ROLES = {
    "roles/owner",
    "roles/editor",
    "roles/iam.securityAdmin",
    "roles/iam.serviceAccountAdmin",
    "roles/iam.serviceAccountKeyAdmin",
    "roles/resourcemanager.projectIamAdmin",
    "roles/cloudkms.admin",
}


@stack_policy(
    name="gcp-workload-identity-scoped",
    description="GKE Workload Identity binds a Google service account only to named Kubernetes service accounts in "
    "allowed namespaces; service accounts get storage roles on buckets, not the project, and no admin "
    "roles; no user-managed service account keys exist.",
    criteria=("CC6.3",),
    anchors="Prowler iam_sa_no_administrative_privileges, iam_sa_no_user_managed_keys",
    severity=Severity.HIGH,
    remediation="Grant roles/iam.workloadIdentityUser to serviceAccount:<project>.svc.id.goog[<ns>/<ksa>] only, "
    "grant storage roles with gcp.storage.BucketIAMMember, and delete gcp.serviceaccount.Key resources.",
    domain="identity",
    settings={
        "allowed_namespaces": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["logging"],
            "description": "Kubernetes namespaces whose service accounts may impersonate Google service accounts.",
        }
    },
)
def gcp_workload_identity_scoped(args: StackValidationArgs, report: Report, check: Check) -> None:
    allowed = set(check.settings["allowed_namespaces"])
    deferred = Deferred()
    for r in args.resources:
        with deferred.each():
            if r.resource_type == "gcp:serviceaccount/key:Key":
                report(f"{r.name} is a user-managed service account key", r.urn)
            elif r.resource_type.startswith(_SA_IAM_PREFIX):
                for role, members in iam_grants(r):
                    if role != "roles/iam.workloadIdentityUser":
                        continue
                    for member in members:
                        match = WORKLOAD_IDENTITY_MEMBER.match(member)
                        if match is None:
                            report(f"{r.name} lets {member} impersonate the service account (not one Kubernetes service account)", r.urn)
                        elif match.group("ns") not in allowed:
                            report(f"{r.name} binds namespace {match.group('ns')}, not one of {', '.join(sorted(allowed))}", r.urn)
            elif r.resource_type.startswith(_PROJECT_IAM_PREFIX) and not r.resource_type.endswith("AuditConfig:IAMAuditConfig"):
                for role, members in iam_grants(r):
                    service_accounts = [m for m in members if m.startswith("serviceAccount:")]
                    if not service_accounts:
                        continue
                    if role.startswith("roles/storage."):
                        report(
                            f"{r.name} grants {role} on the whole project to {', '.join(service_accounts)}; grant it on the bucket", r.urn
                        )
                    elif role in _ADMIN_ROLES:
                        report(f"{r.name} grants the administrative role {role} to {', '.join(service_accounts)}", r.urn)
    deferred.finish()
