"""JSON report: the evidence as one document."""

from __future__ import annotations

from typing import Any

from preflight.analyze.findings import Finding
from preflight.report.evidence import Evidence

_FINDING_KEYS = ("policy", "enforcement", "severity", "urn", "resource_type", "message", "soc2", "remediation")


def _finding_json(finding: Finding) -> dict[str, Any]:
    entry = {k: getattr(finding, k) for k in _FINDING_KEYS}
    if finding.approval is not None:
        entry.update(reason=finding.approval.reason, approved_by=finding.approval.approved_by, expires=finding.approval.expires)
    return entry


def to_json(evidence: Evidence) -> dict[str, Any]:
    """The JSON report; its shape is pinned by tests and documented in docs/preflight.md."""
    return {
        "project": evidence.project,
        "stack": evidence.stack,
        "mode": evidence.mode,
        "resources": [{"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent, "inputs": r.inputs} for r in evidence.resources],
        "violations": [_finding_json(v) for v in evidence.violations],
        "exceptions": [_finding_json(e) for e in evidence.exceptions],
        "summary": evidence.summary(),
        "stand_ins": [{"kind": s.kind, "subject": s.subject, "detail": s.detail} for s in evidence.stand_ins],
    }
