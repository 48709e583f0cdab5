"""Collector pods as hardened as reading the node's logs allows: root with no capabilities (root-owned log files need no
capability to read), no privilege escalation, a read-only root filesystem (the collectors write only to their hostPath
buffers), the runtime's seccomp profile; and no chart test hook pod. On the values as the SDK registers them."""

from __future__ import annotations

from typing import Any

from components.collectors.interface import BUFFER_HOST_PATH
from preflight.record.recording import Recording
from tests.helpers.collector_lookups import by_kind, workload

HARDENED = {
    "runAsUser": 0,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}
RUNTIME_DEFAULT = {"seccompProfile": {"type": "RuntimeDefault"}}


def _writable_mounts_are_buffers(mounts: list[dict[str, Any]], volumes: list[dict[str, Any]]) -> set[str]:
    """The mount paths a collector can write: every mount that is not read-only; each must be a hostPath buffer."""
    by_name = {v["name"]: v for v in volumes}
    writable = {m["mountPath"] for m in mounts if not m.get("readOnly")}
    for mount in mounts:
        if not mount.get("readOnly"):
            volume = by_name[mount["name"]]
            assert volume.get("hostPath", {}).get("path", "").startswith(BUFFER_HOST_PATH), mount
    return writable


def test_fluent_bit_pods_are_hardened_and_render_no_test_hook(any_example: tuple[Recording, dict[str, Any]]) -> None:
    recording, _ = any_example
    found = by_kind(recording, "FluentBit")
    assert found
    for collector in found:
        values = workload(recording, collector)
        assert values["securityContext"] == HARDENED
        assert values["podSecurityContext"] == RUNTIME_DEFAULT
        # fluent-bit 0.58.1 renders a busybox:latest `helm test` Pod unless this is off.
        assert values["testFramework"] == {"enabled": False}
        writable = _writable_mounts_are_buffers(values["daemonSetVolumeMounts"], values["daemonSetVolumes"])
        assert writable == {"/var/fluent-bit/state"}


def test_alloy_pods_are_hardened(example: Recording) -> None:
    for collector in by_kind(example, "Alloy"):
        values = workload(example, collector)
        assert values["alloy"]["securityContext"] == HARDENED
        assert values["global"]["podSecurityContext"] == RUNTIME_DEFAULT
        mounts = values["alloy"]["mounts"]["extra"]
        # --storage.path is the only place Alloy writes (its WAL and component state): on the buffer hostPath.
        assert _writable_mounts_are_buffers(mounts, values["controller"]["volumes"]["extra"]) == {values["alloy"]["storagePath"]}


def test_filebeat_pods_are_hardened(elk_with_filebeat: Recording) -> None:
    found = by_kind(elk_with_filebeat, "Filebeat")
    assert found
    for collector in found:
        spec = workload(elk_with_filebeat, collector)["spec"]["daemonSet"]["podTemplate"]["spec"]
        [container] = spec["containers"]
        assert container["securityContext"] == HARDENED
        assert spec["securityContext"] == RUNTIME_DEFAULT
        # ECK mounts its own beat-data hostPath at /usr/share/filebeat/data (registry, disk queue); Filebeat logs to
        # stderr (-e). Anything else Filebeat writes goes to an emptyDir at /tmp.
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
        assert {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}} in spec["volumes"]
        assert all(m.get("readOnly") for m in container["volumeMounts"] if m["name"] != "tmp")
