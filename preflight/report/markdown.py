"""Markdown report for a pull-request comment or a job summary. First screen: verdict, counts and the SOC 2 control
matrix (per-policy detail folded); then one row per finding (its criteria as a column, mandatory and most severe
first) with remediation folded, exceptions, coverage, provenance, inventory by cloud and type, and a Mermaid topology
diagram GitHub renders in place."""

from __future__ import annotations

from collections.abc import Callable

from preflight.analyze.findings import Finding, approval_of
from preflight.report.charts import matrix_markdown, not_rendered_lines, rendered_markdown
from preflight.report.controls import CRITERIA_TITLES, Control
from preflight.report.evidence import Evidence
from preflight.report.topology import build_topology, mermaid

# A pull-request comment holds 65,536 characters; the JSON and SARIF reports always carry every finding.
MAX_FINDING_ROWS = 100
MAX_EXCEPTION_ROWS = 100
MAX_UNEXAMINED_TYPES = 60
_STATUS_ICONS = {"passed": ":white_check_mark:", "failed": ":x:", "advisory": ":warning:", "not evaluated": ":grey_question:"}


def _cell(value: str) -> str:
    return " ".join(value.replace("|", "\\|").split())


def _resource(urn: str) -> str:
    name = urn.rsplit("::", 1)[-1] if urn else "(stack)"
    return f"`{_cell(name)}`"


def _count(value: int | None) -> str:
    return "not recorded" if value is None else str(value)


# The findings table, one row per finding: (header, cell). A column added here shows in every row.
FINDING_COLUMNS: list[tuple[str, Callable[[Finding], str]]] = [
    ("enforcement", lambda f: f.enforcement),
    ("tier", lambda f: f.tier or "-"),
    ("severity", lambda f: f.severity),
    ("policy", lambda f: f"`{f.policy}`"),
    ("resource", lambda f: _resource(f.urn)),
    ("type", lambda f: f"`{f.resource_type}`"),
    ("SOC 2", lambda f: ", ".join(f.soc2) or "-"),
    ("message", lambda f: _cell(f.message)),
]


def render_markdown(evidence: Evidence) -> str:
    counts, provenance = evidence.summary(), evidence.provenance
    icon = ":white_check_mark:" if evidence.passed else ":x:"
    source = (
        "deployed state (stack export)"
        if evidence.mode == "state"
        else "program under mocks" + (", preview (unknown outputs)" if evidence.preview else "")
    )
    out = [
        f"## {icon} preflight {evidence.project}/{evidence.stack}: {evidence.verdict()}",
        "",
        f"Policy pack `{evidence.pack}` v{evidence.pack_version} on the {source}; {_coverage_words(evidence)}; policy config: "
        f"{provenance.config_label('`')}.",
        "",
        "| resources | examined | policies | mandatory | advisory | exceptions |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {counts['resources']} | {_count(evidence.coverage.examined)} | {counts['policies']} | {counts['mandatory']} "
        f"| {counts['advisory']} | {counts['exceptions']} |",
        "",
    ]
    out += [f"- not rendered: {_cell(line)}" for line in not_rendered_lines(evidence.recording)]
    out += [""] if not_rendered_lines(evidence.recording) else []
    out += _controls(evidence.controls)
    out += _findings(evidence.violations)
    out += _exceptions(evidence.exceptions)
    if evidence.scope:
        out += ["### Log stores in scope", "", "| resource | why |", "| --- | --- |"]
        out += [f"| {_resource(urn)} | {_cell(why)} |" for urn, why in evidence.scope] + [""]
    out += _stand_ins(evidence)
    out += _coverage(evidence)
    out += _provenance(evidence)
    out += _inventory(evidence)
    out += rendered_markdown(evidence.recording)
    out += matrix_markdown(evidence.recording)
    out += _diagram(evidence)
    return "\n".join(out).rstrip() + "\n"


def _coverage_words(evidence: Evidence) -> str:
    coverage = evidence.coverage
    if coverage.examined is None:
        return "this pack does not record which resources its policies examined"
    return f"{coverage.examined} of {coverage.recorded} resources examined by at least one policy"


def _controls(controls: list[Control]) -> list[str]:
    out = ["### SOC 2 control matrix", ""]
    if not controls:
        return [*out, "No policy names a SOC 2 criterion.", ""]
    out += ["| criterion | status | policies | evaluated | failed | exceptions |", "| --- | --- | ---: | ---: | ---: | ---: |"]
    for c in controls:
        title = CRITERIA_TITLES.get(c.criterion, "")
        label = f"**{c.criterion}**" + (f" {title}" if title else "")
        out.append(
            f"| {label} | {_STATUS_ICONS.get(c.status, '')} {c.status} | {len(c.policies)} | {_count(c.evaluated)} | {c.failed} "
            f"| {c.exceptions} |"
        )
    out += ["", "<details><summary>Policies per criterion: resources evaluated, passed, failed, excepted</summary>", ""]
    out += ["| criterion | policy | enforcement | evaluated | passed | failed | exceptions |"]
    out += ["| --- | --- | --- | ---: | ---: | ---: | ---: |"]
    for c in controls:
        for p in c.policies:
            out.append(
                f"| {c.criterion} | `{p.policy}` | {p.enforcement} | {_count(p.evaluated)} | {_count(p.passed)} | {p.failed} "
                f"| {p.exceptions} |"
            )
    return [*out, "", "</details>", ""]


def _findings(violations: list[Finding]) -> list[str]:
    if not violations:
        return ["### Findings", "", "None.", ""]
    out = [f"### Findings ({len(violations)})", ""]
    out += ["| " + " | ".join(h for h, _ in FINDING_COLUMNS) + " |", "| " + " | ".join("---" for _ in FINDING_COLUMNS) + " |"]
    out += ["| " + " | ".join(cell(v) for _, cell in FINDING_COLUMNS) + " |" for v in violations[:MAX_FINDING_ROWS]]
    if len(violations) > MAX_FINDING_ROWS:
        out.append(f"\n{len(violations) - MAX_FINDING_ROWS} more findings: see the JSON or SARIF report.")
    remediation = {v.policy: v.remediation for v in violations if v.remediation}
    if remediation:
        out += ["", "<details><summary>Remediation</summary>", ""]
        out += [f"- `{policy}`: {_cell(text)}" for policy, text in remediation.items()]
        out += ["", "</details>"]
    return [*out, ""]


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


def _coverage(evidence: Evidence) -> list[str]:
    coverage = evidence.coverage
    out = ["### Coverage", "", _coverage_words(evidence).capitalize() + "."]
    if coverage.examined is None or not coverage.unexamined_types:
        return [*out, ""]
    shown = coverage.unexamined_types[:MAX_UNEXAMINED_TYPES]
    out += ["", f"<details><summary>{len(coverage.unexamined_types)} resource types no policy examines</summary>", ""]
    out += ["| type | resources |", "| --- | ---: |"] + [f"| `{t}` | {n} |" for t, n in shown]
    if len(coverage.unexamined_types) > len(shown):
        out.append(f"\n{len(coverage.unexamined_types) - len(shown)} more: see the JSON report.")
    return [*out, "", "</details>", ""]


def _provenance(evidence: Evidence) -> list[str]:
    out = ["### Provenance", "", "<details><summary>Rules, configuration, sources, tools and time of this report</summary>", ""]
    out += ["| | |", "| --- | --- |"] + [f"| {label} | {_cell(value)} |" for label, value in evidence.provenance.lines()]
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


MAX_STAND_IN_ROWS = 100


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
