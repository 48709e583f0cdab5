"""OCSF 1.5.0 Compliance Findings (class_uid 2003), the events security data lakes ingest: one per finding, as JSON
lines (one event per line, the form log shippers and lake loaders take without parsing a whole document).

A standing violation is a finding whose compliance status is Fail (3) and finding status New (1); an approved
exception is Fail too, with finding status Suppressed (3) and the approval in `status_detail` and `comment`. Each
event carries one control per SOC 2 criterion of its policy in `compliance.requirements`, the first as
`compliance.control`. `time` is the report's time (provenance), so reruns with `--now` are identical. Tests validate
every event with ocsf-emitter's OCSF 1.5.0 models and invariants.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

from preflight import __version__
from preflight.analyze.findings import Finding
from preflight.report.evidence import Evidence

OCSF_VERSION = "1.5.0"
CLASS_UID, CATEGORY_UID, ACTIVITY_CREATE = 2003, 2, 1
_SEVERITY_IDS = {"low": 2, "medium": 3, "high": 4, "critical": 5}
_COMPLIANCE_FAIL = 3
_STATUS_NEW, _STATUS_SUPPRESSED = 1, 3


def _epoch_ms(iso: str) -> int:
    return int(datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def _uid(evidence: Evidence, finding: Finding) -> str:
    """Stable across runs: the same policy on the same resource of the same stack is the same finding."""
    key = "\0".join((evidence.project, evidence.stack, finding.policy, finding.urn, finding.message))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def ocsf_event(evidence: Evidence, finding: Finding) -> dict[str, Any]:
    excused = finding.approval is not None
    compliance: dict[str, Any] = {
        "standards": ["SOC 2"],
        "requirements": list(finding.soc2),
        "status": "Fail",
        "status_id": _COMPLIANCE_FAIL,
    }
    if finding.soc2:
        compliance["control"] = finding.soc2[0]
    event: dict[str, Any] = {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Compliance Finding: Create",
        "time": _epoch_ms(evidence.provenance.generated_at),
        "severity_id": _SEVERITY_IDS.get(finding.severity, 0),
        "severity": finding.severity.capitalize() if finding.severity in _SEVERITY_IDS else "Unknown",
        "status_id": _STATUS_SUPPRESSED if excused else _STATUS_NEW,
        "status": "Suppressed" if excused else "New",
        "message": finding.message,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": "preflight", "vendor_name": "logmesh", "version": __version__},
            "labels": [f"pack:{evidence.pack}@{evidence.pack_version}", f"enforcement:{finding.enforcement}"],
        },
        "finding_info": {"uid": _uid(evidence, finding), "title": finding.policy, "desc": finding.message, "types": [finding.enforcement]},
        "compliance": compliance,
        "resources": [
            {
                "uid": finding.urn or f"stack:{evidence.project}/{evidence.stack}",
                "name": finding.urn.rsplit("::", 1)[-1] if finding.urn else evidence.stack,
                "type": finding.resource_type or "stack",
            }
        ],
        "unmapped": {"project": evidence.project, "stack": evidence.stack, "mode": evidence.provenance.mode},
    }
    if finding.remediation:
        event["remediation"] = {"desc": finding.remediation}
    if finding.approval is not None:
        approval = finding.approval
        event["status_detail"] = f"approved exception: {approval.reason}"
        event["comment"] = f"approved by {approval.approved_by}, expires {approval.expires}"
    return event


def render_ocsf(evidence: Evidence) -> str:
    """JSON lines: every standing violation, then every approved exception; empty when there is no finding."""
    events = [ocsf_event(evidence, f) for f in [*evidence.violations, *evidence.exceptions]]
    return "".join(json.dumps(e, sort_keys=True) + "\n" for e in events)
