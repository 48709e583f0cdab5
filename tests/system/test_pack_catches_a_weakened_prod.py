"""The blind spots of the pack that an independent scanner saw, on logmesh's own prod example (ELK, so it runs
Filebeat and the ECK operator): each weakened input gives a mandatory violation on exactly the weakened resource."""

from __future__ import annotations

import copy
from typing import Any

from preflight.analyze.config import load_policy_config, resolve_config
from preflight.analyze.findings import Analysis
from preflight.analyze.pack import load_policy_pack
from preflight.analyze.servicer import Analyzer
from preflight.record.recording import Recording, Registration
from tests.helpers.harness import ROOT, elk_recording

PACK = load_policy_pack(ROOT / "policies")
PSA_ENFORCE = "pod-security.kubernetes.io/enforce"


def analyze(recording: Recording) -> Analysis:
    config = load_policy_config(ROOT / "policies" / "config" / "prod.json")
    return Analyzer(PACK, resolve_config(PACK, config)).analyze(recording)


def edit(resource: Registration, change: Any) -> None:
    """Applies `change` to the inputs and to the outputs (what the stack policies see)."""
    for props in (resource.inputs, resource.outputs):
        if props:
            change(props)


def weaken_trail(props: dict[str, Any]) -> None:
    props.update(enableLogging=False, enableLogFileValidation=False)
    props.pop("kmsKeyId", None)


def weaken_filebeat(props: dict[str, Any]) -> None:
    pod = props["spec"]["daemonSet"]["podTemplate"]["spec"]
    pod.update(hostPID=True, hostNetwork=True)
    pod["containers"][0].setdefault("securityContext", {})["capabilities"] = {"add": ["SYS_ADMIN"]}


def privileged(props: dict[str, Any]) -> None:
    props["metadata"]["labels"][PSA_ENFORCE] = "privileged"


def weakened(original: Recording) -> tuple[Recording, set[str]]:
    recording = copy.deepcopy(original)
    touched: set[str] = set()
    filebeat_done = False
    for r in recording.resources:
        if r.type == "aws:cloudtrail/trail:Trail":
            edit(r, weaken_trail)
        elif r.type in ("aws:kms/key:Key", "gcp:kms/keyRing:KeyRing", "gcp:kms/cryptoKey:CryptoKey"):
            r.protect = r.retain_on_delete = False
            if r.type == "gcp:kms/cryptoKey:CryptoKey":
                edit(r, lambda props: props.update(destroyScheduledDuration="86400s"))
        elif r.type == "kubernetes:beat.k8s.elastic.co/v1beta1:Beat" and not filebeat_done:
            edit(r, weaken_filebeat)
            filebeat_done = True
        elif r.type == "kubernetes:core/v1:Namespace" and r.inputs["metadata"]["name"] in ("logging", "elastic-system"):
            edit(r, privileged)
        else:
            continue
        touched.add(r.urn)
    return recording, touched


def test_a_weakened_prod_fails_on_exactly_the_weakened_resources() -> None:
    original = elk_recording("prod")
    assert analyze(original).mandatory == []
    recording, touched = weakened(original)
    mandatory = analyze(recording).mandatory
    assert {v.urn for v in mandatory} == touched
    by_policy = {(v.policy, v.urn.rsplit("::", 1)[-1]) for v in mandatory}
    assert {p for p, _name in by_policy} == {
        "cloudtrail-trail-integrity",
        "key-deletion-protected",
        "gcp-kms-key-destroy-delay",
        "logging-pods-host-isolated",
        "logging-namespaces-pod-security",
    }
    messages = " | ".join(v.message for v in mandatory if v.policy in ("cloudtrail-trail-integrity", "logging-pods-host-isolated"))
    for flaw in ("logging is stopped", "log file validation is off", "not encrypted", "hostPID", "hostNetwork", "SYS_ADMIN"):
        assert flaw in messages
