from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from policies.framework import Check, Report, resource_policy
from policies.lib.kubernetes import as_resource
from policies.lib.rbac import baseline_problems, is_collector_rbac, rules
from policies.lib.types import BINDING_TYPES, ROLE_TYPES

READ_VERBS = {"get", "list", "watch"}


@resource_policy(
    name="collector-rbac-read-only",
    description="Collectors' Kubernetes RBAC is read-only (get, list, watch), grants no wildcard verbs, resources or "
    "API groups and no access to Secrets, and no collector binding grants cluster-admin, admin or edit.",
    criteria=("CC6.1", "CC6.2", "CC6.8"),
    anchors="Kubescape C-0035, C-0186; kube-bench 5.1.1-5.1.3",
    severity=Severity.HIGH,
    remediation="List exact resources (pods, namespaces, nodes) and verbs get/list/watch; read credentials from a "
    "Secret mounted into the pod instead of granting Secret access.",
    domain="kubernetes",
    types=(*ROLE_TYPES, *BINDING_TYPES),
)
def collector_rbac_read_only(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    """Only collectors' roles and bindings (policies/lib/rbac.py is_collector_rbac); rbac-least-privilege judges
    the others."""
    if not is_collector_rbac(as_resource(args)):
        return
    for problem in baseline_problems(args.resource_type, args.props):
        report(problem)
    for index, verbs, resources, _groups in rules(args.props):
        if "secrets" in resources:
            report(f"rule {index} grants access to secrets")
        if set(verbs) - READ_VERBS - {"*"}:
            report(f"rule {index} lets a collector {', '.join(sorted(set(verbs) - READ_VERBS))}")
