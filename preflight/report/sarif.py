"""SARIF 2.1.0 for GitHub code scanning: one rule per policy (SOC 2 criteria in its properties and tags), one result
per finding, located at the file and line that declared the resource, relative to the project folder.

Approved exceptions are results with an accepted external suppression, so they stay visible as evidence without
failing the check. A resource with no known source line (deployed state) is located at the fallback artifact.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from preflight import __version__
from preflight.analyze.findings import Finding, approval_of
from preflight.report.charts import charts_json
from preflight.report.evidence import Evidence
from preflight.report.json import coverage_json

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"mandatory": "error", "advisory": "warning", "disabled": "none"}
# GitHub orders security alerts by `security-severity` (0.1-10.0).
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def _artifact_uri(path: str, project_dir: Path | None) -> str:
    if not path:
        return ""
    file = Path(path)
    if project_dir is not None:
        try:
            return file.resolve().relative_to(project_dir.resolve()).as_posix()
        except ValueError:
            pass
    return file.resolve().as_uri() if file.is_absolute() else file.as_posix()


def _location(finding: Finding, evidence: Evidence, fallback: str) -> dict[str, Any]:
    uri = _artifact_uri(finding.source_file, evidence.project_dir)
    line = finding.source_line if uri else 1
    uri = uri or fallback
    artifact: dict[str, Any] = {"uri": uri}
    if not uri.startswith("file:"):
        artifact["uriBaseId"] = "%SRCROOT%"
    location: dict[str, Any] = {"physicalLocation": {"artifactLocation": artifact, "region": {"startLine": max(line, 1)}}}
    if finding.urn:
        location["logicalLocations"] = [{"fullyQualifiedName": finding.urn, "kind": "resource"}]
    return location


def render_sarif(evidence: Evidence, fallback_artifact: str = "Pulumi.yaml") -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for policy in evidence.policies:
        index[policy.name] = len(rules)
        rule: dict[str, Any] = {
            "id": policy.name,
            "name": "".join(word.capitalize() for word in policy.name.split("-")),
            "shortDescription": {"text": policy.description},
            "fullDescription": {"text": policy.description},
            "help": {"text": policy.remediation or policy.description},
            "defaultConfiguration": {"level": _LEVELS.get(policy.enforcement, "warning")},
            "properties": {
                "tags": ["soc2", *policy.soc2],
                "soc2": policy.soc2,
                "severity": policy.severity,
                "enforcement": policy.enforcement,
                "tier": policy.tier,
            },
        }
        if policy.url:
            rule["helpUri"] = policy.url
        if policy.severity in _SECURITY_SEVERITY:
            rule["properties"]["security-severity"] = _SECURITY_SEVERITY[policy.severity]
        rules.append(rule)

    def result(finding: Finding, excused: bool) -> dict[str, Any]:
        criteria = ", ".join(finding.soc2) or "none"
        entry: dict[str, Any] = {
            "ruleId": finding.policy,
            "level": _LEVELS.get(finding.enforcement, "warning"),
            "message": {"text": f"{finding.message} [{finding.urn or 'stack'}; SOC 2: {criteria}]"},
            "locations": [_location(finding, evidence, fallback_artifact)],
            "properties": {
                "urn": finding.urn,
                "resourceType": finding.resource_type,
                "soc2": finding.soc2,
                "enforcement": finding.enforcement,
                "tier": finding.tier,
                "severity": finding.severity,
            },
        }
        if finding.policy in index:
            entry["ruleIndex"] = index[finding.policy]
        if excused:
            approval = approval_of(finding)
            entry["suppressions"] = [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": f"{approval.reason} (approved by {approval.approved_by}, expires {approval.expiry_label})",
                }
            ]
        return entry

    provenance = evidence.provenance.as_dict()
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "preflight",
                        "fullName": f"preflight with policy pack {evidence.pack} v{evidence.pack_version}",
                        "version": __version__,
                        "informationUri": "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/",
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"preflight/{evidence.project}/{evidence.stack}/"},
                "results": [result(f, False) for f in evidence.violations] + [result(e, True) for e in evidence.exceptions],
                "properties": {
                    "mode": evidence.mode,
                    "summary": evidence.summary(),
                    "policyConfig": provenance["policy_config"],
                    "charts": charts_json(evidence.recording),
                    "provenance": provenance,
                    "coverage": coverage_json(evidence.coverage),
                },
            }
        ],
    }
