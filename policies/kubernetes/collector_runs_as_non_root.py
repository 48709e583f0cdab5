from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel, ResourceValidationArgs, Severity

from policies.framework import BASELINE, Check, Report, resource_policy
from policies.lib.kubernetes import as_resource, chart_of, is_collector, values_of
from policies.lib.types import BEAT, HELM_TYPES
from policies.lib.values import as_list, get, number, truthy


def _runs_as_root(pod_security: Any, containers: list[Any]) -> str | None:
    def non_root(ctx: Any) -> bool | None:
        if truthy(get(ctx, "privileged")):
            return False
        user = get(ctx, "runAsUser")
        if user is not None:
            uid = number(user)  # Helm values are untyped: a template string is no proof of a non-root user
            return uid is not None and uid != 0
        if truthy(get(ctx, "runAsNonRoot")):
            return True
        return None

    pod = non_root(pod_security)
    for container in containers:
        own = non_root(get(container, "securityContext"))
        if truthy(get(container, "securityContext", "privileged")):
            return f"container {get(container, 'name')} is privileged"
        if (own if own is not None else pod) is not True:
            return f"container {get(container, 'name') or 'collector'} may run as root (no runAsNonRoot or non-zero runAsUser)"
    return None


@resource_policy(
    name="collector-runs-as-non-root",
    description="Advisory unless the environment's config makes it mandatory: collectors run as non-root and unprivileged.",
    criteria=("CC6.8", "CC6.1"),
    anchors="Kubescape C-0013 (non-root containers), C-0057 (privileged)",
    severity=Severity.MEDIUM,
    remediation="Set securityContext runAsNonRoot/runAsUser (with a readable log path), or record an exception with "
    "reason, approver and expiry in the policy config.",
    domain="kubernetes",
    types=("kubernetes:apps/v1:DaemonSet", BEAT, *HELM_TYPES),
    enforcement_level=EnforcementLevel.ADVISORY,
    tier=BASELINE,
)
def collector_runs_as_non_root(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    """Collectors reading the host's /var/log usually must run as root: that needs a documented exception
    (policy config), not a silent pass. Charts run as root unless their values say otherwise."""
    resource = as_resource(args)
    if not is_collector(resource):
        return
    chart = chart_of(resource)
    if chart == "fluent-bit":
        values = values_of(resource)
        container = {"name": "fluent-bit", "securityContext": get(values, "securityContext")}
        problem = _runs_as_root(get(values, "podSecurityContext"), [container])
    elif chart == "alloy":
        values = values_of(resource)
        problem = _runs_as_root(
            get(values, "controller", "podSecurityContext"), [{"name": "alloy", "securityContext": get(values, "alloy", "securityContext")}]
        )
    elif args.resource_type == BEAT:
        spec = get(args.props, "spec", "daemonSet", "podTemplate", "spec") or get(args.props, "spec", "deployment", "podTemplate", "spec")
        problem = _runs_as_root(get(spec, "securityContext"), as_list(get(spec, "containers")) or [{"name": "beat"}])
    else:
        spec = get(args.props, "spec", "template", "spec")
        problem = _runs_as_root(get(spec, "securityContext"), as_list(get(spec, "containers")))
    if problem:
        report(problem)
