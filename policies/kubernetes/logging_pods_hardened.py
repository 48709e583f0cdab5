from __future__ import annotations

from typing import Any

from pulumi_policy import Severity, StackValidationArgs

from policies.framework import BASELINE, Check, Deferred, Report, stack_policy
from policies.lib.kubernetes import is_collector
from policies.lib.types import WORKLOAD_TYPES
from policies.lib.values import falsy, get, strings, truthy
from policies.lib.workloads import PodView, logging_pods

SECCOMP = ("RuntimeDefault", "Localhost")


def _pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    name = image.rsplit("/", 1)[-1]
    return ":" in name and name.rsplit(":", 1)[1] != "latest"


def _container_problems(container: Any, pod_seccomp: Any) -> list[str]:
    context = get(container, "securityContext")
    found = []
    if "ALL" not in {c.upper() for c in strings(get(context, "capabilities", "drop"))}:
        found.append("does not drop ALL capabilities")
    if not falsy(get(context, "allowPrivilegeEscalation")):
        found.append("does not set allowPrivilegeEscalation: false")
    if not truthy(get(context, "readOnlyRootFilesystem")):
        found.append("has a writable root filesystem")
    if str(get(context, "seccompProfile", "type") or pod_seccomp or "") not in SECCOMP:
        found.append("has no RuntimeDefault or Localhost seccomp profile")
    image = get(container, "image")
    if isinstance(image, str) and not _pinned(image):
        found.append(f"runs image {image} without a version tag or digest")
    requests = get(container, "resources", "requests") or {}
    if not (get(requests, "cpu") and get(requests, "memory")):
        found.append("sets no cpu and memory requests")
    return found


def _problems(pod: PodView) -> list[str]:
    problems = []
    automount = get(pod.spec, "automountServiceAccountToken")
    # Kubernetes mounts the token unless told otherwise; operators and charts set their own default.
    mounts_token = truthy(automount) or (automount is None and pod.resource.resource_type in WORKLOAD_TYPES)
    if mounts_token and not is_collector(pod.resource):
        problems.append("mounts a service account token it does not need (automountServiceAccountToken: false)")
    pod_seccomp = get(pod.spec, "securityContext", "seccompProfile", "type")
    for container in pod.containers:
        name = get(container, "name") or "container"
        problems += [f"container {name} {p}" for p in _container_problems(container, pod_seccomp)]
    return problems


@stack_policy(
    name="logging-pods-hardened",
    description="Advisory unless the environment's config raises it (logmesh baseline): logging pods drop ALL "
    "capabilities, forbid privilege escalation, run a read-only root filesystem with a seccomp profile, pin images, "
    "set requests and do not mount a token they do not need.",
    criteria=("CC6.8",),
    anchors="Kubescape C-0016 (privilege escalation), C-0017 (immutable root fs), C-0046 (capabilities), C-0055 "
    "(seccomp), C-0034 (token automount); checkov CKV_K8S_10-14, CKV_K8S_20, CKV_K8S_22, CKV_K8S_28, CKV_K8S_31, CKV_K8S_38",
    severity=Severity.MEDIUM,
    remediation="In each container's securityContext set capabilities.drop [ALL], allowPrivilegeEscalation false, "
    "readOnlyRootFilesystem true and seccompProfile RuntimeDefault (or on the pod); pin the image by tag or digest; "
    "set resources.requests cpu and memory; set automountServiceAccountToken false unless the pod reads the API.",
    domain="kubernetes",
    tier=BASELINE,
)
def logging_pods_hardened(args: StackValidationArgs, report: Report, check: Check) -> None:
    """Containers a pod template does not list (ECK's own, a chart's sidecars) and settings an ECK template or chart
    values leave out keep their operator's or chart's defaults; collectors may mount a token (they read pod metadata)."""
    deferred = Deferred()
    for pod in logging_pods(list(args.resources)):
        with deferred.each():
            for problem in _problems(pod):
                report(f"{pod.where}: {problem}", pod.resource.urn)
    deferred.finish()
