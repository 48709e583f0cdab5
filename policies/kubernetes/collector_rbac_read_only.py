from __future__ import annotations

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity

from policies.framework import Check, Report, resource_policy
from policies.lib.kubernetes import COLLECTOR_WORDS, as_resource, name_of
from policies.lib.types import BINDING_TYPES, ROLE_TYPES
from policies.lib.values import as_list, get, known, plain

READ_VERBS = {"get", "list", "watch"}
ADMIN_ROLES = {"cluster-admin", "admin", "edit"}


def _looks_like_collector(resource: PolicyResource) -> bool:
    labels = known(resource.props, "metadata", "labels") or {}
    text = " ".join([name_of(resource), resource.name, *[str(v) for v in (plain(labels) or {}).values()]]).lower()
    return any(word in text for word in COLLECTOR_WORDS)


@resource_policy(
    name="collector-rbac-read-only",
    description="Kubernetes RBAC in the stack grants no wildcard verbs, resources or API groups and no access to "
    "Secrets; no binding grants cluster-admin, admin or edit; collector roles are read-only (get, list, watch).",
    criteria=("CC6.1", "CC6.2", "CC6.8"),
    anchors="Kubescape C-0035, C-0186; kube-bench 5.1.1-5.1.3",
    severity=Severity.HIGH,
    remediation="List exact resources (pods, namespaces, nodes) and verbs get/list/watch; read credentials from a "
    "Secret mounted into the pod instead of granting Secret access.",
    domain="kubernetes",
    types=(*ROLE_TYPES, *BINDING_TYPES),
)
def collector_rbac_read_only(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    if args.resource_type in BINDING_TYPES:
        role = get(args.props, "roleRef", "name")
        if role in ADMIN_ROLES:
            report(f"binds the built-in {role} role")
        return
    resource = as_resource(args)
    collector = _looks_like_collector(resource)
    for index, rule in enumerate(as_list(get(args.props, "rules"))):
        verbs = [str(v) for v in as_list(get(rule, "verbs"))]
        resources = [str(v) for v in as_list(get(rule, "resources"))]
        groups = [str(v) for v in as_list(get(rule, "apiGroups"))]
        if "*" in verbs or "*" in resources or "*" in groups:
            report(f"rule {index} uses a wildcard (verbs {verbs}, resources {resources}, apiGroups {groups})")
        if "secrets" in resources:
            report(f"rule {index} grants access to secrets")
        if collector and set(verbs) - READ_VERBS - {"*"}:
            report(f"rule {index} lets a collector {', '.join(sorted(set(verbs) - READ_VERBS))}")
