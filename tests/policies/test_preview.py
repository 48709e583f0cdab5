"""During a preview, outputs are unknown. No policy may crash: each gives the analyzer's advisory "can't be
known during preview", or its verdict from what is known."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from preflight.analyze.findings import Analysis
from tests.policies.conftest import UNKNOWN_IN_PREVIEW, flagged

PROGRAMS = (
    "aws_good",
    "aws_bad",
    "gcp_good",
    "gcp_bad",
    "k8s_good",
    "k8s_bad",
    "edge_bad",
    "k8s_preview_join",
    *(
        f"{area}_{verdict}"
        for area in ("trail", "keys", "pods", "hardening")
        for verdict in ("good", "bad")
        if area != "hardening" or verdict == "bad"
    ),
)


@pytest.mark.parametrize("program", PROGRAMS)
def test_preview_never_crashes_and_unknowns_are_advisory(program: str, analyze: Callable[..., Analysis]) -> None:
    preview = analyze(program, preview=True)
    for violation in preview.violations:
        if UNKNOWN_IN_PREVIEW in violation.message:
            assert violation.enforcement == "advisory", violation
    # a preview never finds more than the full analysis, apart from the unknown-value advisories
    full = {(v.policy, v.urn, v.message) for v in analyze(program).violations}
    assert {(v.policy, v.urn, v.message) for v in preview.violations if UNKNOWN_IN_PREVIEW not in v.message} <= full


def test_compliant_programs_have_no_mandatory_findings_in_preview(analyze: Callable[..., Analysis]) -> None:
    for program in ("aws_good", "gcp_good", "k8s_good"):
        assert analyze(program, preview=True).mandatory == []


def test_stack_policies_judge_what_is_known(analyze: Callable[..., Analysis]) -> None:
    """Bucket names are unknown outputs in a preview; the separate S3 resources still join their bucket through
    property dependencies, so every flawed bucket is still found."""
    preview = analyze("aws_bad", preview=True)
    assert flagged(preview, "s3-default-encryption-kms") == {"bare", "sse-s3"}
    assert flagged(preview, "s3-object-lock-default-retention") == {"bare", "lock-governance", "no-object-lock", "retention-too-short"}
    assert flagged(preview, "s3-server-access-logging") == {"bare", "logs-to-itself"}
