from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from policies.framework import Check, Report, resource_policy
from policies.lib.kubernetes import as_resource
from policies.lib.rbac import baseline_problems, is_collector_rbac, rules
from policies.lib.types import BINDING_TYPES, ROLE_TYPES

# Verbs that let a holder grant itself more than its role says (Kubernetes RBAC good practices, "Privilege escalation").
ESCALATING_VERBS = {"escalate", "bind", "impersonate"}


@resource_policy(
    name="rbac-least-privilege",
    description="Kubernetes RBAC that is not a collector's (operators, Jobs) grants no wildcard verbs, resources or API "
    "groups and no escalate, bind or impersonate, and no binding grants cluster-admin, admin or edit.",
    criteria=("CC6.1", "CC6.3"),
    anchors="Kubescape C-0035, C-0187; kube-bench 5.1.1, 5.1.3, 5.1.8",
    severity=Severity.HIGH,
    remediation="List the exact resources and verbs the workload needs; drop escalate, bind and impersonate; bind a "
    "role of its own instead of cluster-admin, admin or edit.",
    domain="kubernetes",
    types=(*ROLE_TYPES, *BINDING_TYPES),
)
def rbac_least_privilege(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    """An operator's job is to manage Secrets (ECK writes the Elasticsearch users' and certificates' Secrets), so
    Secret access is allowed here; what it must never hold is a way past its own role."""
    if is_collector_rbac(as_resource(args)):
        return
    for problem in baseline_problems(args.resource_type, args.props):
        report(problem)
    for index, verbs, _resources, _groups in rules(args.props):
        if escalating := ESCALATING_VERBS & set(verbs):
            report(f"rule {index} grants {', '.join(sorted(escalating))}")
