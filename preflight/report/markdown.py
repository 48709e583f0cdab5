"""Markdown report for a pull-request comment or a job summary: verdict, counts, violations by SOC 2 criterion with
remediation, exceptions, inventory by cloud and type, and a Mermaid topology diagram GitHub renders in place."""

from __future__ import annotations

from collections import defaultdict

from preflight.analyze.findings import Finding, approval_of
from preflight.report.charts import matrix_markdown, not_rendered_lines, rendered_markdown
from preflight.report.evidence import Evidence
from preflight.report.topology import build_topology, mermaid

# Short titles of the AICPA Trust Services Criteria (2017, points of focus 2022) that logmesh's policies cite.
CRITERIA_TITLES = {
    "CC1.3": "Structures, reporting lines, authorities and responsibilities",
    "CC2.1": "Relevant, quality information supports internal control",
    "CC4.2": "Internal control deficiencies are communicated",
    "CC6.1": "Logical access security over protected information assets",
    "CC6.2": "Users are registered and authorized before access is granted",
    "CC6.3": "Access is role-based, least privilege, with segregation of duties",
    "CC6.6": "Protection against threats from outside the system boundaries",
    "CC6.7": "Transmission, movement and removal of information is restricted and protected",
    "CC6.8": "Unauthorized or malicious software is prevented or detected",
    "CC7.2": "System components are monitored for anomalies",
    "CC7.3": "Security events are evaluated",
    "CC7.4": "Security incidents are responded to",
    "A1.2": "Environmental protections, backup and recovery infrastructure",
    "C1.1": "Confidential information is identified and protected",
    "C1.2": "Confidential information is disposed of as required",
    "PI1.4": "Outputs are delivered completely, accurately and timely",
    "PI1.5": "Inputs, processing and outputs are stored completely and accurately",
}
# A pull-request comment holds 65,536 characters; the JSON and SARIF reports always carry every finding.
MAX_ROWS_PER_CRITERION = 40
MAX_EXCEPTION_ROWS = 100
MAX_STAND_IN_ROWS = 100
NO_CRITERION = "no SOC 2 criterion"


def _cell(value: str) -> str:
    return " ".join(value.replace("|", "\\|").split())


def _criterion_sort_key(criterion: str) -> tuple[int, str, int, int]:
    if criterion == NO_CRITERION:
        return (1, "", 0, 0)
    series, _, number = criterion.partition(".")
    prefix = series.rstrip("0123456789")
    return (0, {"CC": "0"}.get(prefix, prefix), int(series[len(prefix) :] or 0), int(number or 0))


def _resource(urn: str) -> str:
    name = urn.rsplit("::", 1)[-1] if urn else "(stack)"
    return f"`{_cell(name)}`"


def render_markdown(evidence: Evidence) -> str:
    counts = evidence.summary()
    icon = ":white_check_mark:" if evidence.passed else ":x:"
    source = (
        "deployed state (stack export)"
        if evidence.mode == "state"
        else "program under mocks" + (", preview (unknown outputs)" if evidence.preview else "")
    )
    out = [
        f"## {icon} preflight {evidence.project}/{evidence.stack}: {evidence.verdict()}",
        "",
        f"Policy pack `{evidence.pack}` v{evidence.pack_version} on the {source}; policy config: "
        + (f"`{evidence.config_source}` (sha256 {evidence.config_sha256})" if evidence.config_source else "pack defaults")
        + ".",
        "",
        "| resources | policies | mandatory | advisory | exceptions |",
        "| ---: | ---: | ---: | ---: | ---: |",
        f"| {counts['resources']} | {counts['policies']} | {counts['mandatory']} | {counts['advisory']} | {counts['exceptions']} |",
        "",
    ]
    out += [f"- not rendered: {_cell(line)}" for line in not_rendered_lines(evidence.recording)]
    out += [""] if not_rendered_lines(evidence.recording) else []
    out += _violations(evidence.violations)
    out += _exceptions(evidence.exceptions)
    if evidence.scope:
        out += ["### Log stores in scope", "", "| resource | why |", "| --- | --- |"]
        out += [f"| {_resource(urn)} | {_cell(why)} |" for urn, why in evidence.scope] + [""]
    out += _stand_ins(evidence)
    out += _inventory(evidence)
    out += rendered_markdown(evidence.recording)
    out += matrix_markdown(evidence.recording)
    out += _diagram(evidence)
    return "\n".join(out).rstrip() + "\n"


def _violations(violations: list[Finding]) -> list[str]:
    if not violations:
        return ["### Violations", "", "None.", ""]
    groups: dict[str, list[Finding]] = defaultdict(list)
    for v in violations:
        for criterion in v.soc2 or [NO_CRITERION]:
            groups[criterion].append(v)
    out = ["### Violations by SOC 2 criterion", ""]
    for criterion in sorted(groups, key=_criterion_sort_key):
        rows = groups[criterion]
        title = CRITERIA_TITLES.get(criterion)
        out += [f"#### {criterion}" + (f": {title}" if title else "") + f" ({len(rows)})", ""]
        out += ["| enforcement | tier | severity | policy | resource | type | message |", "| --- | --- | --- | --- | --- | --- | --- |"]
        for v in rows[:MAX_ROWS_PER_CRITERION]:
            out.append(
                f"| {v.enforcement} | {v.tier or '-'} | {v.severity} | `{v.policy}` | {_resource(v.urn)} "
                f"| `{v.resource_type}` | {_cell(v.message)} |"
            )
        if len(rows) > MAX_ROWS_PER_CRITERION:
            out.append(f"\n{len(rows) - MAX_ROWS_PER_CRITERION} more under {criterion}: see the JSON or SARIF report.")
        remediation = {v.policy: v.remediation for v in rows if v.remediation}
        if remediation:
            out += ["", "Remediation:", ""]
            out += [f"- `{policy}`: {_cell(text)}" for policy, text in sorted(remediation.items())]
        out.append("")
    return out


def _exceptions(exceptions: list[Finding]) -> list[str]:
    out = ["### Approved exceptions", ""]
    if not exceptions:
        return [*out, "None.", ""]
    out += ["| policy | SOC 2 | resource | reason | approved by | expires |", "| --- | --- | --- | --- | --- | --- |"]
    for e in exceptions[:MAX_EXCEPTION_ROWS]:
        approval = approval_of(e)
        out.append(
            f"| `{e.policy}` | {', '.join(e.soc2) or '-'} | {_resource(e.urn)} | {_cell(approval.reason)} "
            f"| {_cell(approval.approved_by)} | {approval.expiry_label} |"
        )
    if len(exceptions) > MAX_EXCEPTION_ROWS:
        out.append(f"\n{len(exceptions) - MAX_EXCEPTION_ROWS} more exceptions: see the JSON or SARIF report.")
    return [*out, ""]


def _stand_ins(evidence: Evidence) -> list[str]:
    if not evidence.stand_ins and evidence.mode != "program":
        return []
    out = ["### What the verdict rests on", ""]
    if not evidence.stand_ins:
        return [*out, "Nothing stood in offline: every value came from the program, its configuration or was computed.", ""]
    out += [
        f"Stood in offline (made up by preflight, not read from a cloud): {evidence.stand_in_counts()}. "
        "A policy that reads one of these judged the stand-in.",
        "",
        f"<details><summary>{len(evidence.stand_ins)} stand-ins</summary>",
        "",
        "| kind | subject | detail |",
        "| --- | --- | --- |",
    ]
    out += [f"| {s.kind} | `{_cell(s.subject)}` | {_cell(s.detail)} |" for s in evidence.stand_ins[:MAX_STAND_IN_ROWS]]
    if len(evidence.stand_ins) > MAX_STAND_IN_ROWS:
        out.append(f"\n{len(evidence.stand_ins) - MAX_STAND_IN_ROWS} more stand-ins: see the JSON report.")
    return [*out, "", "</details>", ""]


def _inventory(evidence: Evidence) -> list[str]:
    out = ["### Resource inventory", "", "<details><summary>" + f"{len(evidence.resources)} resources by cloud and type</summary>", ""]
    out += ["| cloud | type | count |", "| --- | --- | ---: |"]
    out += [f"| {cloud} | `{type_}` | {count} |" for cloud, type_, count in evidence.inventory()]
    return [*out, "", "</details>", ""]


def _diagram(evidence: Evidence) -> list[str]:
    topology = build_topology(evidence.recording)
    out = ["### Topology", ""]
    if topology.generic:
        out += ["No logmesh components in this program: top-level resources and their dependencies.", ""]
    out += ["```mermaid", mermaid(topology), "```", ""]
    if topology.omitted:
        out += [f"{topology.omitted} more components are not drawn.", ""]
    return out
