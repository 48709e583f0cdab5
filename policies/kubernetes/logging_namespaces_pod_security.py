from __future__ import annotations

from pulumi_policy import PolicyResource, Severity, StackValidationArgs

from policies.framework import Check, Deferred, Report, stack_policy
from policies.lib.kubernetes import is_collector
from policies.lib.types import HELM_TYPES, NAMESPACE_TYPES
from policies.lib.values import get, known, provider_key
from policies.lib.workloads import is_logging_workload

LEVELS = {"privileged": 0, "baseline": 1, "restricted": 2}
LABEL = "pod-security.kubernetes.io/"


def _labels(resources: list[PolicyResource]) -> dict[tuple[str, str], tuple[PolicyResource, dict[str, str]]]:
    """(cluster provider, namespace) -> the declaring resource and its Pod Security labels (a patch adds to them)."""
    found: dict[tuple[str, str], tuple[PolicyResource, dict[str, str]]] = {}
    for r in sorted(resources, key=lambda r: (r.resource_type != NAMESPACE_TYPES[0], r.urn)):
        if r.resource_type not in NAMESPACE_TYPES or not known(r.props, "metadata", "name"):
            continue
        key = (provider_key(r), str(known(r.props, "metadata", "name")))
        labels = {str(k)[len(LABEL) :]: str(v) for k, v in (known(r.props, "metadata", "labels") or {}).items() if str(k).startswith(LABEL)}
        first, previous = found.get(key, (r, {}))
        found[key] = (first, {**previous, **labels})
    return found


def _namespace(resource: PolicyResource) -> str:
    """The workload's namespace; an unknown one (preview) raises, so it is never taken for `default`."""
    path = ("namespace",) if resource.resource_type in HELM_TYPES else ("metadata", "namespace")
    return str(get(resource.props, *path) or "default")


def _problem(labels: dict[str, str], collectors_only: bool) -> str | None:
    enforce = labels.get("enforce", "privileged")
    level = LEVELS.get(enforce, 0)
    if not collectors_only:
        return None if level == 2 else f"enforces Pod Security {enforce!r}; a log backend's namespace must enforce 'restricted'"
    if level >= 1:
        return None
    # Pod Security baseline forbids every hostPath volume, which a node's log collector needs: `privileged` is
    # accepted only with baseline warnings and audit, and logging-pods-host-isolated checks the pods instead.
    if all(LEVELS.get(labels.get(mode, "privileged"), 0) >= 1 for mode in ("warn", "audit")):
        return None
    return f"enforces Pod Security {enforce!r} without 'baseline' warn and audit labels; a collector namespace needs at least baseline"


@stack_policy(
    name="logging-namespaces-pod-security",
    description="Namespaces that hold the logging stack carry Pod Security admission labels: restricted for backends and "
    "the ECK operator, at least baseline for collectors (privileged only with baseline warn and audit, for host log mounts).",
    criteria=("CC6.8",),
    anchors="Kubernetes Pod Security Standards (no scanner maps the admission labels)",
    severity=Severity.HIGH,
    remediation="Declare the namespace with pod-security.kubernetes.io/enforce: restricted (backends, elastic-system) or "
    "baseline (collectors; privileged only when they mount host log directories, with warn and audit at baseline).",
    domain="kubernetes",
)
def logging_namespaces_pod_security(args: StackValidationArgs, report: Report, check: Check) -> None:
    resources = list(args.resources)
    labels = _labels(resources)
    holders: dict[tuple[str, str], list[PolicyResource]] = {}
    deferred = Deferred()
    for r in sorted(resources, key=lambda r: r.urn):
        if is_logging_workload(r):
            with deferred.each():
                holders.setdefault((provider_key(r), _namespace(r)), []).append(r)
    for key, workloads in sorted(holders.items()):
        declared = labels.get(key)
        if declared is None:
            report(f"namespace {key[1]} is not declared with Pod Security labels (the cluster default applies)", workloads[0].urn)
            continue
        namespace, found = declared
        if problem := _problem(found, all(is_collector(w) for w in workloads)):
            report(f"namespace {key[1]} {problem}", namespace.urn)
    deferred.finish()
