"""Every report format by name, rendered to a stream: what `--format` picks and what an evidence bundle holds."""

from __future__ import annotations

import json
from typing import TextIO

from preflight.report import FORMATS
from preflight.report.evidence import Evidence
from preflight.report.json import to_json
from preflight.report.markdown import render_markdown
from preflight.report.ocsf import render_ocsf
from preflight.report.sarif import render_sarif
from preflight.report.text import render_text

__all__ = ["FORMATS", "render"]


def render(evidence: Evidence, format_: str, stream: TextIO, fallback_artifact: str = "Pulumi.yaml") -> None:
    if format_ == "text":
        render_text(evidence, stream)
    elif format_ == "markdown":
        stream.write(render_markdown(evidence))
    elif format_ == "json":
        json.dump(to_json(evidence), stream, indent=2)
        stream.write("\n")
    elif format_ == "ocsf":
        stream.write(render_ocsf(evidence))
    else:
        json.dump(render_sarif(evidence, fallback_artifact), stream, indent=2)
        stream.write("\n")
