from __future__ import annotations

import posixpath
from typing import Any

from pulumi_policy import Severity, StackValidationArgs

from policies.framework import Check, Deferred, Report, stack_policy
from policies.lib.values import as_list, get, strings, truthy
from policies.lib.workloads import PodView, logging_pods


def _paths_setting(default: list[str], description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string", "pattern": "^/"}, "default": default, "description": description}


def _under(path: str, roots: list[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def _host_path_problems(pod: PodView, read_only: list[str], writable: list[str]) -> list[str]:
    problems = []
    for volume in as_list(get(pod.spec, "volumes")):
        raw = get(volume, "hostPath", "path")
        if raw is None:
            continue
        path, name = posixpath.normpath(str(raw)), get(volume, "name")
        mounts = [m for c in pod.containers for m in as_list(get(c, "volumeMounts")) if get(m, "name") == name]
        if _under(path, writable):
            continue
        if not _under(path, read_only):
            problems.append(f"mounts host path {path}, which is neither a log directory nor the collector's buffer")
        elif any(not truthy(get(m, "readOnly")) for m in mounts):
            problems.append(f"mounts the host's {path} writable (mount it readOnly)")
    return problems


def _problems(pod: PodView, settings: dict[str, Any]) -> list[str]:
    problems = [f"sets {field}" for field in ("hostPID", "hostIPC", "hostNetwork") if truthy(get(pod.spec, field))]
    allowed = {c.upper() for c in settings["allowed_capabilities"]}
    for container in pod.containers:
        name, context = get(container, "name") or "container", get(container, "securityContext")
        if truthy(get(context, "privileged")):
            problems.append(f"container {name} is privileged")
        added = [c.upper().removeprefix("CAP_") for c in strings(get(context, "capabilities", "add"))]
        if extra := sorted(c for c in added if c not in allowed):
            problems.append(f"container {name} adds capabilities {', '.join(extra)}")
    return problems + _host_path_problems(pod, settings["read_only_host_paths"], settings["writable_host_paths"])


@stack_policy(
    name="logging-pods-host-isolated",
    description="Pods of the logging stack stay isolated from their node: no host PID, IPC or network namespace, not "
    "privileged, no capabilities beyond allowed_capabilities, host paths only for the log directories (read-only) and "
    "the collector's buffer.",
    criteria=("CC6.1", "CC6.8"),
    anchors="Kubescape C-0038 (host PID/IPC), C-0041 (host network), C-0046 (capabilities), C-0048 (hostPath), C-0057 "
    "(privileged); checkov CKV_K8S_16-19, CKV_K8S_39",
    severity=Severity.HIGH,
    remediation="Remove hostPID/hostIPC/hostNetwork and privileged, drop the added capabilities, and mount only "
    "/var/log and /var/lib/docker/containers (readOnly: true) and the collector's buffer directory from the host.",
    domain="kubernetes",
    settings={
        "allowed_capabilities": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["NET_BIND_SERVICE", "DAC_READ_SEARCH"],
            "description": "Capabilities a logging pod may add (DAC_READ_SEARCH lets a non-root collector read host logs).",
        },
        "read_only_host_paths": _paths_setting(
            ["/var/log", "/var/lib/docker/containers", "/etc/machine-id"], "Host paths a pod may mount, read-only only."
        ),
        "writable_host_paths": _paths_setting(["/var/lib/logmesh-collector"], "Host paths a collector may write (its buffer)."),
    },
)
def logging_pods_host_isolated(args: StackValidationArgs, report: Report, check: Check) -> None:
    """Pods of the logging stack: its collectors, backends and ECK resources, and every workload in their namespaces."""
    deferred = Deferred()
    for pod in logging_pods(list(args.resources)):
        with deferred.each():
            for problem in _problems(pod, check.settings):
                report(f"{pod.where}: {problem}", pod.resource.urn)
    deferred.finish()
