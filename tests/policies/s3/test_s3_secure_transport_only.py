"""s3-secure-transport-only during a preview."""

from __future__ import annotations

from collections.abc import Callable

from preflight.analyze.findings import Analysis


def test_an_unknown_policy_document_gives_the_analyzer_advisory(analyze: Callable[..., Analysis]) -> None:
    preview = analyze("aws_good", preview=True)
    advisories = [v for v in preview.violations if v.policy == "s3-secure-transport-only"]
    assert advisories and all("string value at .policy can't be known during preview" in v.message for v in advisories)
