"""What rendering the Helm releases did, in every report: the releases not rendered, and the network matrix.

A release preflight could not render (no chart cache, a chart missing from it) is named in the verdict and in
every format, never left out silently: the pack saw its values but not its objects.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from preflight.record.recording import Recording
from preflight.report.network_needs import matrix
from preflight.report.reachability import Endpoint, Outside, Pod

MAX_MATRIX_ROWS = 120


def not_rendered_count(recording: Recording) -> int:
    return len(recording.charts.not_rendered) if recording.charts is not None else 0


def verdict_suffix(recording: Recording) -> str:
    """`; N releases not rendered` for the verdict line, empty when every release rendered."""
    count = not_rendered_count(recording)
    return f"; {count} release{'s' if count != 1 else ''} not rendered" if count else ""


def not_rendered_lines(recording: Recording) -> list[str]:
    """One line per release not rendered: its name, chart, version and why."""
    if recording.charts is None:
        return []
    fill = f"run `python -m preflight charts` to fill {recording.charts.cache}"
    return [f"{n.release.rsplit('::', 1)[-1]} ({n.chart} {n.version}): {n.reason}; {fill}" for n in recording.charts.not_rendered]


def charts_json(recording: Recording) -> dict[str, Any]:
    """The `charts` key of the JSON report (and the SARIF run's properties)."""
    outcome = recording.charts
    if outcome is None:
        return {"cache": "", "rendered": {}, "not_rendered": []}
    return {
        "cache": outcome.cache,
        "rendered": dict(sorted(outcome.rendered.items())),
        "not_rendered": [{"release": n.release, "chart": n.chart, "version": n.version, "reason": n.reason} for n in outcome.not_rendered],
    }


def rendered_markdown(recording: Recording) -> list[str]:
    """Per rendered release, its objects by kind (every object is in the JSON report, under the release's URN)."""
    if recording.charts is None or not recording.charts.rendered:
        return []
    kinds: dict[str, Counter[str]] = {urn: Counter() for urn in recording.charts.rendered}
    for r in recording.resources:
        if r.parent in kinds:
            kinds[r.parent][r.type.rsplit(":", 1)[-1]] += 1
    total = sum(recording.charts.rendered.values())
    out = ["### Rendered Helm releases", "", f"<details><summary>{total} objects from {len(kinds)} releases</summary>", ""]
    out += ["| release | objects | kinds |", "| --- | ---: | --- |"]
    for urn, counts in sorted(kinds.items()):
        listed = ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()))
        out.append(f"| `{urn.rsplit('::', 1)[-1]}` | {sum(counts.values())} | {listed} |")
    return [*out, "", "</details>", ""]


def _endpoint(endpoint: Endpoint) -> str:
    if isinstance(endpoint, Outside):
        return f"{endpoint.name} ({endpoint.ip})"
    assert isinstance(endpoint, Pod)
    return f"{endpoint.namespace}/{endpoint.name}"


def _cluster(endpoint: Endpoint) -> str:
    urn = endpoint.cluster if isinstance(endpoint, Pod) else ""
    return urn.split("::")[-2] if urn.count("::") >= 4 else urn


def matrix_markdown(recording: Recording) -> list[str]:
    """The Markdown section: every flow the platform needs with allowed/denied, and the count of other flows into
    a backend namespace that the policies allow (there should be none)."""
    verdicts, unexpected = matrix(recording)
    out = ["### Network paths", ""]
    if not verdicts:
        return [*out, "No backend pods to judge" + (" (releases not rendered)." if not_rendered_count(recording) else "."), ""]
    denied = sum(not v.allowed for v in verdicts)
    out += [f"{len(verdicts)} flows the platform needs: {len(verdicts) - denied} allowed, {denied} denied by the NetworkPolicies; "
            f"{len(unexpected)} other flows into the backend namespace allowed.", ""]  # fmt: skip
    out += ["| cluster | flow | from | to | port | verdict |", "| --- | --- | --- | --- | ---: | --- |"]
    rows: dict[tuple[bool, str, str, str, str, str], list[str]] = {}
    for v in verdicts:
        f = v.flow
        cluster = _cluster(f.destination) or _cluster(f.source)
        rows.setdefault((v.allowed, cluster, f.what, _endpoint(f.destination), f"{f.port}/{f.protocol}", ""), []).append(
            _endpoint(f.source)
        )
    for (allowed, cluster, what, to, port, _), sources in sorted(rows.items())[:MAX_MATRIX_ROWS]:
        names = sorted(set(sources))
        source = names[0] + (f" and {len(names) - 1} more" if len(names) > 1 else "")
        out.append(f"| {cluster} | {what} | {source} | {to} | {port} | {'allowed' if allowed else '**denied**'} |")
    if len(rows) > MAX_MATRIX_ROWS:
        out.append(f"\n{len(rows) - MAX_MATRIX_ROWS} more rows: see the JSON report.")
    for f in unexpected[:20]:
        out.append(f"- also allowed: {_endpoint(f.source)} to {_endpoint(f.destination)} on {f.port}/{f.protocol}")
    return [*out, ""]
