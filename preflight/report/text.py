"""Text report for a terminal (rich): verdict, counts, coverage, provenance, the SOC 2 controls, violations with their
criteria, exceptions.

Written to a file or a pipe it is plain text: rich drops colour and box styling when the stream is not a terminal."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from preflight.analyze.findings import approval_of
from preflight.report.charts import not_rendered_lines
from preflight.report.evidence import Evidence


def render_text(evidence: Evidence, stream: TextIO, width: int | None = None) -> None:
    terminal = stream.isatty()
    # A file or a pipe gets plain text even when FORCE_COLOR is set (as on CI runners): it is evidence, not a screen.
    console = Console(
        file=stream,
        width=width or (None if terminal else 160),
        force_terminal=None if terminal else False,
        no_color=not terminal,
        highlight=False,
        soft_wrap=False,
    )
    counts = evidence.summary()
    style = "bold green" if evidence.passed else "bold red"
    console.print(f"[{style}]preflight {evidence.project}/{evidence.stack}: {evidence.verdict()}[/]", markup=True)
    source = "deployed state" if evidence.mode == "state" else "program under mocks" + (" (preview)" if evidence.preview else "")
    console.print(
        f"{counts['resources']} resources ({source}), {counts['policies']} policies of {evidence.pack} v{evidence.pack_version}: "
        f"{counts['mandatory']} mandatory, {counts['advisory']} advisory, {counts['exceptions']} exceptions",
        markup=False,
    )
    if evidence.scope:
        stores = ", ".join(f"{urn.rsplit('::', 1)[-1]} ({why})" for urn, why in evidence.scope)
        console.print(f"log stores in scope of the log-store controls: {stores}", markup=False)
    for line in not_rendered_lines(evidence.recording):
        console.print(f"not rendered: {line}", markup=False)
    if evidence.stand_ins or evidence.mode == "program":
        stood_in = evidence.stand_in_counts()
        rests_on = f"stood in offline: {stood_in} (listed in the JSON and Markdown reports)" if stood_in else "nothing stood in offline"
        console.print(f"What the verdict rests on: {rests_on}", markup=False)
    coverage = evidence.coverage
    console.print(
        f"coverage: {coverage.examined} of {coverage.recorded} resources examined by at least one policy; "
        f"{len(coverage.unexamined_types)} resource types no policy examines"
        if coverage.examined is not None
        else f"coverage: {coverage.recorded} resources recorded; this pack does not record which its policies examined",
        markup=False,
    )
    for label, value in evidence.provenance.lines():
        console.print(f"{label}: {value}", markup=False)
    if evidence.controls:
        table = Table(title="SOC 2 controls", title_justify="left")
        for column in ("criterion", "status", "policies", "evaluated", "failed", "exceptions"):
            table.add_column(column, overflow="fold")
        for c in evidence.controls:
            evaluated = "not recorded" if c.evaluated is None else str(c.evaluated)
            table.add_row(c.criterion, c.status, str(len(c.policies)), evaluated, str(c.failed), str(c.exceptions))
        console.print(table)
    if evidence.violations:
        table = Table(title="Violations", title_justify="left", show_lines=False, expand=False)
        for column in ("enforcement", "tier", "policy", "resource", "SOC 2", "message"):
            table.add_column(column, overflow="fold")
        for v in evidence.violations:
            table.add_row(
                f"[red]{v.enforcement}[/]" if v.enforcement == "mandatory" else f"[yellow]{v.enforcement}[/]",
                escape(v.tier or "-"),
                escape(v.policy),
                escape(v.urn.rsplit("::", 1)[-1] if v.urn else "(stack)"),
                ", ".join(v.soc2),
                escape(v.message),
            )
        console.print(table)
    if evidence.exceptions:
        table = Table(title="Approved exceptions", title_justify="left")
        for column in ("policy", "resource", "SOC 2", "reason", "approved by", "expires"):
            table.add_column(column, overflow="fold")
        for e in evidence.exceptions:
            approval = approval_of(e)
            table.add_row(
                escape(e.policy),
                escape(e.urn.rsplit("::", 1)[-1]),
                ", ".join(e.soc2),
                escape(approval.reason),
                escape(approval.approved_by),
                approval.expiry_label,
            )
        console.print(table)
