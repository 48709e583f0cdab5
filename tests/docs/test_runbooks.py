"""Every alert's runbook_url points at a section of docs/runbooks.md that says what to check and how to escalate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components.alerts import catalog

ROOT = Path(__file__).resolve().parents[2]
ALERTS = (*catalog.ALERT_NAMES, catalog.TRAIL_TAMPERING)


def sections(page: Path) -> dict[str, str]:
    """GitHub's anchor of each `##` heading -> the section's text."""
    found: dict[str, str] = {}
    for block in re.split(r"^## ", page.read_text(encoding="utf-8"), flags=re.MULTILINE)[1:]:
        heading, _, body = block.partition("\n")
        anchor = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found[anchor] = body
    return found


@pytest.mark.parametrize("alert", ALERTS)
def test_every_alert_has_a_runbook_section_with_checks_and_escalation(alert: str) -> None:
    page, _, anchor = catalog.runbook_url(alert).partition("#")
    body = sections(ROOT / page).get(anchor)
    assert body is not None, f"{page} has no section #{anchor}"
    assert "**Check**" in body and "**Escalate**" in body, anchor
