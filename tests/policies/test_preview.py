"""During a preview, outputs are unknown. No policy may crash: each gives the analyzer's advisory "can't be
known during preview", or its verdict from what is known."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from preflight.analyze.findings import Analysis
from tests.policies.conftest import flagged

PROGRAMS = ("aws_good", "aws_bad", "gcp_good", "gcp_bad", "k8s_good", "k8s_bad", "edge_bad", "k8s_preview_join")
UNKNOWN = "during preview"


@pytest.mark.parametrize("program", PROGRAMS)
def test_preview_never_crashes_and_unknowns_are_advisory(program: str, analyze: Callable[..., Analysis]) -> None:
    preview = analyze(program, preview=True)
    for violation in preview.violations:
        if UNKNOWN in violation.message:
            assert violation.enforcement == "advisory", violation
    # a preview never finds more than the full analysis, apart from the unknown-value advisories
    full = {(v.policy, v.urn, v.message) for v in analyze(program).violations}
    assert {(v.policy, v.urn, v.message) for v in preview.violations if UNKNOWN not in v.message} <= full


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


def test_an_unknown_policy_document_gives_the_analyzer_advisory(analyze: Callable[..., Analysis]) -> None:
    preview = analyze("aws_good", preview=True)
    advisories = [v for v in preview.violations if v.policy == "s3-secure-transport-only"]
    assert advisories and all("string value at .policy can't be known during preview" in v.message for v in advisories)


def test_namespaces_unknown_in_preview_are_not_joined_as_one(analyze: Callable[..., Analysis]) -> None:
    """The full run finds the backend namespace without NetworkPolicies; a preview, where both namespace names are
    unknown, must not take them for the same namespace (a silent pass): it says the join can't be known."""
    policy = "logging-namespace-network-policy"
    assert flagged(analyze("k8s_preview_join"), policy) == {"loki-in-logging"}
    preview = [v for v in analyze("k8s_preview_join", preview=True).violations if v.policy == policy]
    assert preview and all(v.enforcement == "advisory" and UNKNOWN in v.message for v in preview), preview
