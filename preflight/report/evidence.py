"""Report stage: the evidence every format renders, built once from a Recording and an Analysis.

`Evidence` is plain data: resources with secrets redacted, the violations that stand, the approved exceptions, the
pack's policies, the counts, the SOC 2 control matrix and coverage (`controls`) and provenance (`provenance`).
Renderers (json, text, markdown, sarif, ocsf: one module each, dispatched by `formats`) only format it.
Everything here is linear in the number of resources and diagnostics.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from preflight.analyze.findings import SCOPE_PREFIX, Analysis, Finding, PolicySummary
from preflight.record.recording import Recording, Registration, StandIn
from preflight.report.controls import Control, Coverage, build_controls, build_coverage
from preflight.report.provenance import Provenance, build_provenance
from preflight.secrets import Scrubber, redact, secret_strings

_ENFORCEMENT_ORDER = {"mandatory": 0, "advisory": 1}
# How reports count stand-ins per kind (singular, plural), in this order.
STAND_IN_KINDS = {
    "invoke": ("invoke result", "invoke results"),
    "output": ("resource's computed outputs", "resources' computed outputs"),
    "stack-reference": ("stack reference", "stack references"),
    "secret": ("secret not decrypted", "secrets not decrypted"),
}

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


@dataclass
class ResourceEntry:
    urn: str
    type: str
    name: str
    parent: str
    inputs: dict[str, Any]  # secrets redacted
    custom: bool
    source_file: str
    source_line: int


@dataclass
class Evidence:
    project: str
    stack: str
    mode: str  # "program" or "state"
    preview: bool
    pack: str
    pack_version: str
    project_dir: Path | None
    resources: list[ResourceEntry]
    violations: list[Finding]
    exceptions: list[Finding]
    policies: list[PolicySummary]
    recording: Recording = field(repr=False)
    provenance: Provenance
    controls: list[Control]
    coverage: Coverage
    scope: list[tuple[str, str]] = field(default_factory=list)  # (URN, why) of each log store the pack judged as one

    @property
    def mandatory(self) -> list[Finding]:
        return [v for v in self.violations if v.enforcement == "mandatory"]

    @property
    def advisory(self) -> list[Finding]:
        return [v for v in self.violations if v.enforcement != "mandatory"]

    @property
    def passed(self) -> bool:
        return not self.mandatory

    @property
    def enabled_policies(self) -> list[PolicySummary]:
        return [p for p in self.policies if p.enforcement != "disabled"]

    def summary(self) -> dict[str, int]:
        return {
            "resources": len(self.resources),
            "policies": len(self.enabled_policies),
            "mandatory": len(self.mandatory),
            "advisory": len(self.advisory),
            "exceptions": len(self.exceptions),
        }

    def verdict(self) -> str:
        from preflight.report.charts import verdict_suffix

        counts = self.summary()
        if counts["mandatory"]:
            return f"FAILED: {counts['mandatory']} mandatory violation{'s' if counts['mandatory'] != 1 else ''}" + verdict_suffix(
                self.recording
            )
        if not self.resources:  # only with --allow-empty: otherwise an empty run is exit 2 before any report
            return "PASSED: nothing to check (no resources; --allow-empty)"
        return "PASSED: no mandatory violation" + verdict_suffix(self.recording)

    @property
    def stand_ins(self) -> list[StandIn]:
        return self.recording.stand_ins

    def stand_in_counts(self) -> str:
        """`2 invoke results, 1 stack reference`: the stand-ins per kind, for a report's "what the verdict rests on"."""
        counts = Counter(s.kind for s in self.stand_ins)
        order = [*STAND_IN_KINDS, *sorted(set(counts) - set(STAND_IN_KINDS))]
        words = [f"{counts[k]} {STAND_IN_KINDS.get(k, (k, k))[counts[k] != 1]}" for k in order if counts[k]]
        return ", ".join(words)

    def inventory(self) -> list[tuple[str, str, int]]:
        """(cloud, type, count), sorted by cloud then type."""
        counts = Counter((cloud_of(r.type), r.type) for r in self.resources)
        return sorted(((cloud, type_, n) for (cloud, type_), n in counts.items()), key=lambda row: (row[0], row[1]))


def cloud_of(type_: str) -> str:
    """The cloud or platform a resource type belongs to, for the inventory."""
    package = type_.split(":", 1)[0]
    if type_.startswith("pulumi:providers:"):
        package = type_.removeprefix("pulumi:providers:")
    if package in ("aws", "aws-native"):
        return "aws"
    if package in ("gcp", "google-native"):
        return "gcp"
    if package == "kubernetes":
        return "kubernetes"
    if package == "logmesh":
        return "logmesh components"
    return "other"


def _finding(finding: Finding, sources: dict[str, Registration], scrub: Scrubber) -> Finding:
    """The finding as reports show it: message and approval reason scrubbed, where the resource is declared."""
    declared = sources.get(finding.urn)
    approval = finding.approval
    return replace(
        finding,
        message=scrub(finding.message),
        soc2=list(finding.soc2),
        approval=replace(approval, reason=scrub(approval.reason)) if approval is not None else None,
        source_file=declared.source_file if declared is not None else "",
        source_line=declared.source_line if declared is not None else 0,
    )


def finding_order(f: Finding) -> tuple[int, int, str, str, str]:
    """Mandatory before advisory, then by severity (critical first), policy, resource, message."""
    return (_ENFORCEMENT_ORDER.get(f.enforcement, 2), SEVERITY_ORDER.get(f.severity, 4), f.policy, f.urn, f.message)


def build_evidence(
    recording: Recording, analysis: Analysis, project_dir: Path | None = None, preview: bool = False, now: str | None = None
) -> Evidence:
    sources = recording.by_urn()
    scrub = Scrubber(secret_strings(r.inputs for r in recording.resources) | secret_strings(r.outputs for r in recording.resources))
    findings, excused = analysis.split()
    violations = sorted((_finding(d, sources, scrub) for d in findings), key=finding_order)
    exceptions = sorted((_finding(d, sources, scrub) for d in excused), key=finding_order)
    resources = [
        ResourceEntry(r.urn, r.type, r.name, r.parent, redact(r.inputs), r.custom, r.source_file, r.source_line)
        for r in recording.resources
    ]
    policies = analysis.policies()
    pack = (analysis.pack.name, analysis.pack.version, analysis.pack.directory)
    return Evidence(
        project=recording.project,
        stack=recording.stack,
        mode=recording.mode,
        preview=preview,
        pack=analysis.pack.name,
        pack_version=analysis.pack.version,
        project_dir=project_dir,
        resources=resources,
        violations=violations,
        exceptions=exceptions,
        policies=policies,
        recording=recording,
        scope=[(s.urn, s.message.removeprefix(SCOPE_PREFIX)) for s in analysis.scope],
        provenance=build_provenance(recording, pack, (analysis.config_source, analysis.config_sha256), project_dir, preview, now),
        controls=build_controls(policies, analysis.examined, violations, exceptions),
        coverage=build_coverage([(r.urn, r.type) for r in recording.resources], analysis.examined),
    )
