"""SOC 2 tier versus logmesh's baseline, and the clouds' defaults, on small programs."""

from __future__ import annotations

from collections.abc import Callable

from preflight.analyze.findings import Analysis
from tests.policies.conftest import flagged


def test_governance_lock_without_a_bypass_grant_meets_soc2(analyze: Callable[..., Analysis]) -> None:
    assert flagged(analyze("lock_governance"), "s3-object-lock-default-retention") == set()
    strict = analyze("lock_governance", {"s3-object-lock-default-retention": {"object_lock_mode": "COMPLIANCE"}})
    assert flagged(strict, "s3-object-lock-default-retention") == {"governed"}


def test_gke_builtin_logging_counts_as_a_collector(analyze: Callable[..., Analysis]) -> None:
    analysis = analyze("gke_logging_platform")
    messages = {v.urn.rsplit("::", 1)[-1]: v.message for v in analysis.violations if v.policy == "collector-and-gap-alert"}
    assert messages == {
        "gke-logging-off": "cluster gke-logging-off has no log collector (its GKE cluster turns built-in Cloud Logging off)"
    }


def test_baseline_findings_are_advisory_by_default(analyze: Callable[..., Analysis]) -> None:
    kms = [v for v in analyze("aws_bad").violations if v.policy == "s3-sse-customer-managed-key"]
    assert kms and {(v.tier, v.enforcement) for v in kms} == {("baseline", "advisory")}
