"""JSON report: the evidence as one document."""

from __future__ import annotations

from typing import Any

from preflight.analyze.findings import Finding
from preflight.report.charts import charts_json
from preflight.report.controls import CRITERIA_TITLES, Control, Coverage
from preflight.report.evidence import Evidence

_FINDING_KEYS = ("policy", "enforcement", "tier", "severity", "urn", "resource_type", "message", "soc2", "remediation")


def _finding_json(finding: Finding) -> dict[str, Any]:
    entry = {k: getattr(finding, k) for k in _FINDING_KEYS}
    if finding.approval is not None:
        approval = finding.approval
        entry.update(reason=approval.reason, approved_by=approval.approved_by, expires=approval.expires, days_left=approval.days_left)
    return entry


def control_json(control: Control) -> dict[str, Any]:
    return {
        "criterion": control.criterion,
        "title": CRITERIA_TITLES.get(control.criterion, ""),
        "status": control.status,
        "evaluated": control.evaluated,
        "failed": control.failed,
        "exceptions": control.exceptions,
        "policies": [
            {
                "policy": p.policy,
                "enforcement": p.enforcement,
                "evaluated": p.evaluated,
                "passed": p.passed,
                "failed": p.failed,
                "exceptions": p.exceptions,
            }
            for p in control.policies
        ],
    }


def coverage_json(coverage: Coverage) -> dict[str, Any]:
    return {
        "recorded": coverage.recorded,
        "examined": coverage.examined,
        "unexamined_types": [{"type": t, "resources": n} for t, n in coverage.unexamined_types],
    }


def to_json(evidence: Evidence) -> dict[str, Any]:
    """The JSON report; its shape is pinned by tests and documented in docs/preflight.md. `evaluated`, `passed` and
    `coverage.examined` are null when the pack records no examined resources."""
    provenance = evidence.provenance.as_dict()
    return {
        "project": evidence.project,
        "stack": evidence.stack,
        "mode": evidence.mode,
        "policy_config": provenance["policy_config"],
        "resources": [{"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent, "inputs": r.inputs} for r in evidence.resources],
        "violations": [_finding_json(v) for v in evidence.violations],
        "exceptions": [_finding_json(e) for e in evidence.exceptions],
        "scope": [{"urn": urn, "reason": reason} for urn, reason in evidence.scope],
        "provenance": provenance,
        "controls": [control_json(c) for c in evidence.controls],
        "coverage": coverage_json(evidence.coverage),
        "summary": evidence.summary(),
        "charts": charts_json(evidence.recording),
        "stand_ins": [{"kind": s.kind, "subject": s.subject, "detail": s.detail} for s in evidence.stand_ins],
    }
