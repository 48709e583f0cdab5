"""Small programs that are not log platforms (a static website, a function with its source bucket, an app cluster on
GKE, an ETL job): the log-store controls do not apply to them, AWS's and GKE's defaults count, and what meets SOC 2
gets no mandatory finding; each deliberately flawed variant gets a mandatory finding on the flawed resource."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from preflight.analyze.findings import Analysis

PEERS = ("peer_website", "peer_function", "peer_gke_app", "peer_etl")
FLAWED = {
    "public-website": "s3-public-access-block",
    "no-tls": "s3-secure-transport-only",
    "kms-star": "backend-iam-least-privilege",
    "admin": "backend-iam-least-privilege",
}


@pytest.mark.parametrize("program", PEERS)
def test_a_program_that_meets_soc2_has_no_mandatory_finding(program: str, analyze: Callable[..., Analysis]) -> None:
    assert [(v.policy, v.urn.rsplit("::", 1)[-1], v.message) for v in analyze(program).mandatory] == []


@pytest.mark.parametrize("program", PEERS)
def test_no_log_store_rule_speaks_to_a_bucket_that_holds_no_logs(program: str, analyze: Callable[..., Analysis]) -> None:
    messages = [v.message for v in analyze(program).violations]
    assert not [m for m in messages if "lifecycle" in m or "Object Lock" in m or "log collector" in m or "ingestion gap" in m]


@pytest.mark.parametrize("resource", sorted(FLAWED))
def test_each_flaw_is_a_mandatory_finding_on_the_flawed_resource(resource: str, analyze: Callable[..., Analysis]) -> None:
    found = {(v.policy, v.urn.rsplit("::", 1)[-1]) for v in analyze("peer_flawed").mandatory}
    assert (FLAWED[resource], resource) in found


def test_every_finding_names_its_tier(analyze: Callable[..., Analysis]) -> None:
    assert {v.tier for v in analyze("peer_flawed").violations} <= {"soc2", "baseline"}
    assert {v.tier for v in analyze("peer_flawed").mandatory} == {"soc2"}
