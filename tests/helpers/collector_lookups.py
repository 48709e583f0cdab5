"""Lookups of the collectors in a recording of the real platform program: each collector, its workload's values
or Beat config, its Fluent Bit sections, where it should ship."""

from __future__ import annotations

import re
from typing import Any

from components.names import COLLECTOR_NAMESPACE
from preflight.record.recording import Recording, Registration
from tests.helpers.support import below, descendants, plain

KINDS = {"fluent-bit": "FluentBit", "alloy": "Alloy", "filebeat": "Filebeat"}
RELEASE = "kubernetes:helm.sh/v3:Release"
BEAT = "kubernetes:beat.k8s.elastic.co/v1beta1:Beat"


def collectors(recording: Recording) -> dict[str, Registration]:
    found = [r for r in recording.resources if r.type.startswith("logmesh:collectors:")]
    by_name = {r.name: r for r in found}
    assert len(by_name) == len(found), "two collectors with one name"
    return by_name


def workload(recording: Recording, collector: Registration) -> dict[str, Any]:
    # The collector's own workload: its chart's release or its Beat (a Filebeat collector may also bring an ECK operator).
    [release_or_beat] = [
        r
        for r in descendants(recording, collector)
        if r.type == BEAT or (r.type == RELEASE and r.inputs["chart"] in ("fluent-bit", "alloy"))
    ]
    inputs = plain(release_or_beat.inputs)
    return dict(helm_tpl(inputs["values"])) if release_or_beat.type == "kubernetes:helm.sh/v3:Release" else dict(inputs)


ESCAPED = re.compile(r'\{\{"(\{\{|\}\})"\}\}')


def helm_tpl(value: Any) -> Any:
    """What the charts' `tpl` makes of our strings: each {{"{{"}} / {{"}}"}} literal renders to its braces, and no
    other template action may be left for Helm to evaluate."""
    if isinstance(value, dict):
        return {k: helm_tpl(v) for k, v in value.items()}
    if isinstance(value, list):
        return [helm_tpl(v) for v in value]
    if isinstance(value, str):
        assert "{{" not in ESCAPED.sub("", value) and "}}" not in ESCAPED.sub("", value), value[:200]
        return ESCAPED.sub(lambda m: m.group(1), value)
    return value


def fluent_bit_sections(config: dict[str, Any], key: str) -> list[dict[str, str]]:
    """The [SECTION]s of one Fluent Bit config value as key -> value (last wins; Parser lists are joined)."""
    sections = []
    for block in re.split(r"^\[\w+\]$", config[key], flags=re.M)[1:]:
        entries: dict[str, str] = {}
        for line in block.strip().splitlines():
            name, _, value = line.strip().partition(" ")
            entries[name] = (entries[name] + "," + value.strip()) if name in entries else value.strip()
        sections.append(entries)
    return sections


def expected_host(config: dict[str, Any], store_name: str) -> str | None:
    """A store shipped to from another cluster is published as <store>.<ingest_domain>; otherwise None (in-cluster)."""
    store = next(s for s in config["logmesh:stores"] if s["name"] == store_name)
    remote = [c for c in config["logmesh:clusters"] if store_of(config, c) == store_name and c["name"] != store["cluster"]]
    return f"{store_name}.{config['logmesh:ingest_domain']}" if remote else None


def store_of(config: dict[str, Any], cluster: dict[str, Any]) -> str:
    if cluster.get("store"):
        return str(cluster["store"])
    return str(next(s["name"] for s in config["logmesh:stores"] if s["cloud"] == cluster["cloud"]))


def by_kind(recording: Recording, kind: str) -> list[Registration]:
    return [r for r in collectors(recording).values() if r.type == f"logmesh:collectors:{kind}Collector"]


def ca_configmap(recording: Recording, collector: Registration) -> dict[str, Any]:
    [ca] = [r for r in below(recording, collector, "kubernetes:core/v1:ConfigMap")]
    assert ca.inputs["metadata"]["namespace"] == COLLECTOR_NAMESPACE
    assert plain(ca.inputs["data"])["ca.crt"].startswith("-----BEGIN CERTIFICATE-----")
    return dict(ca.inputs)


CORE_GROUPS = ("core", "rbac.authorization.k8s.io", "batch", "apps")


def owned(recording: Recording) -> list[Registration]:
    tops = [r for r in recording.resources if r.type.startswith(("logmesh:collectors:", "logmesh:mesh:", "logmesh:alerts:"))]
    return [r for top in tops for r in descendants(recording, top)]
