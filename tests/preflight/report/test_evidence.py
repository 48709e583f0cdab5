"""Evidence an auditor can file, through the CLI: the control matrix, coverage and provenance in every format, one
row per finding in Markdown, OCSF Compliance Findings."""

from __future__ import annotations

import json
from pathlib import Path

import ocsf_emitter
import pytest

from tests.preflight.conftest import PLAIN_URN, SITE_URN

NOW = "2026-12-01T00:00:00Z"
PROVENANCE_KEYS = ["pack", "project", "policy_config", "tools", "generated_at", "mode", "stand_ins"]
CONTROL_KEYS = {"criterion", "title", "status", "evaluated", "failed", "exceptions", "policies"}
POLICY_RESULT_KEYS = {"policy", "enforcement", "evaluated", "passed", "failed", "exceptions"}


def test_json_carries_provenance_controls_and_coverage(cli, s3_project: Path, small_pack: Path) -> None:
    report = cli("--project-dir", s3_project, "--policy-pack", small_pack, "--format", "json", "--now", NOW).json()
    provenance = report["provenance"]
    assert list(provenance) == PROVENANCE_KEYS
    assert provenance["pack"] == {"name": "small-soc2", "version": "0.3.0", "commit": "", "dirty": False}  # not in a repository
    assert provenance["project"] == {"name": "outside", "stack": "dev", "commit": "", "dirty": False}
    assert provenance["policy_config"] == {"path": "", "sha256": ""}
    assert set(provenance["tools"]) == {"preflight", "pulumi", "pulumi_policy", "python"}
    assert provenance["tools"]["pulumi_policy"] == "1.21.0"
    assert (provenance["generated_at"], provenance["mode"]) == (NOW, "program")
    # The mocks stand in for each bucket's computed region and website outputs (one stand-in per resource).
    assert provenance["stand_ins"] == {"total": 2, "by_kind": {"output": 2}}
    # The small pack records no examined resources: the report says so (null), it does not guess.
    assert report["coverage"] == {"recorded": 4, "examined": None, "unexamined_types": []}
    assert all(set(c) == CONTROL_KEYS for c in report["controls"])
    assert all(set(p) == POLICY_RESULT_KEYS for c in report["controls"] for p in c["policies"])
    cc61 = next(c for c in report["controls"] if c["criterion"] == "CC6.1")
    assert cc61["title"] == "Logical access security over protected information assets"
    assert (cc61["status"], cc61["evaluated"], cc61["failed"]) == ("failed", None, 2)
    assert [p["policy"] for p in cc61["policies"]] == ["s3-bucket-encrypted", "s3-no-public-acl"]


def test_time_comes_from_source_date_epoch(cli, s3_project: Path, small_pack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")
    report = cli("--project-dir", s3_project, "--policy-pack", small_pack, "--format", "json").json()
    assert report["provenance"]["generated_at"] == "2025-12-01T00:00:00Z"
    bad = cli("--project-dir", s3_project, "--policy-pack", small_pack, "--now", "yesterday")
    assert bad.code == 2 and "--now yesterday: not an ISO 8601 time" in bad.err


def test_real_pack_counts_what_each_policy_examined(cli, s3_project: Path, pack_dir: Path) -> None:
    report = cli("--project-dir", s3_project, "--policy-pack", pack_dir, "--format", "json", "--now", NOW).json()
    results = {p["policy"]: p for c in report["controls"] for p in c["policies"]}
    # A policy that looks at nothing evaluated nothing: no GCS bucket here, and approved-exceptions reads no resource.
    assert results["gcs-default-cmek"]["evaluated"] == 0 and results["approved-exceptions"]["evaluated"] == 0
    # Neither bucket is a log store: the log-store controls judged none, though finding that out read both.
    assert results["s3-default-encryption-kms"]["evaluated"] == 0 and results["s3-versioning-enabled"]["evaluated"] == 0
    assert results["log-store-deletion-protected"]["evaluated"] == 0  # not applicable is not evaluated
    # The generic S3 controls examine the two buckets and the bucket policy attached to one, not the password.
    transport = results["s3-secure-transport-only"]
    assert (transport["evaluated"], transport["failed"], transport["passed"]) == (3, 2, 1)
    coverage = report["coverage"]  # the password, two buckets, a bucket policy
    assert coverage == {
        "recorded": 4,
        "examined": 3,
        "unexamined_types": [{"type": "random:index/randomPassword:RandomPassword", "resources": 1}],
    }
    assert report["provenance"]["pack"]["name"] == "logmesh-soc2" and len(report["provenance"]["pack"]["commit"]) == 40


def test_markdown_has_one_row_per_finding_mandatory_first_and_the_matrix_on_the_first_screen(
    cli, s3_project: Path, small_pack: Path
) -> None:
    markdown = cli("--project-dir", s3_project, "--policy-pack", small_pack, "--format", "markdown", "--now", NOW).out
    head = markdown.split("### Findings", 1)[0]
    assert "### SOC 2 control matrix" in head and "| **CC6.1** Logical access security" in head
    findings = markdown.split("### Findings (4)", 1)[1].split("###", 1)[0]
    rows = [line for line in findings.splitlines() if line.startswith("| mandatory") or line.startswith("| advisory")]
    assert len(rows) == 4 == len(set(rows))
    assert [r.split(" | ")[0] for r in rows] == ["| mandatory", "| mandatory", "| advisory", "| advisory"]
    header = next(line for line in findings.splitlines() if line.startswith("| enforcement"))
    severity = header.split(" | ").index("severity")
    assert rows[0].split(" | ")[severity] == "critical"  # s3-no-public-acl before the high s3-bucket-encrypted
    assert "| CC6.1, CC6.6 |" in rows[0]
    assert markdown.count("- `s3-bucket-encrypted`: Add a server-side encryption") == 1
    assert f"| generated | {NOW} |" in markdown and "### Coverage" in markdown


def test_text_names_coverage_provenance_and_controls(cli, s3_project: Path, small_pack: Path) -> None:
    text = cli("--project-dir", s3_project, "--policy-pack", small_pack, "--now", NOW).out
    assert "coverage: 4 resources recorded; this pack does not record which its policies examined" in text
    assert "policy pack: small-soc2 v0.3.0" in text and f"generated: {NOW}" in text and "SOC 2 controls" in text


def test_sarif_run_properties_carry_provenance(cli, s3_project: Path, small_pack: Path) -> None:
    sarif = json.loads(cli("--project-dir", s3_project, "--policy-pack", small_pack, "--format", "sarif", "--now", NOW).out)
    properties = sarif["runs"][0]["properties"]
    assert properties["provenance"]["generated_at"] == NOW and properties["coverage"]["recorded"] == 4


def ocsf_events(out: str) -> list[dict]:  # type: ignore[type-arg]
    events = [json.loads(line) for line in out.splitlines()]
    for event in events:
        ocsf_emitter.validate(ocsf_emitter.models.ComplianceFinding.model_validate(event))
    return events


def test_ocsf_compliance_findings_validate(cli, s3_project: Path, small_pack: Path) -> None:
    out = cli("--project-dir", s3_project, "--policy-pack", small_pack, "--format", "ocsf", "--now", NOW).out
    events = ocsf_events(out)
    assert len(events) == 4 and {e["class_uid"] for e in events} == {2003}
    plain = next(e for e in events if e["finding_info"]["title"] == "s3-bucket-encrypted")
    assert plain["resources"][0]["uid"] == PLAIN_URN and plain["compliance"]["requirements"] == ["CC6.1", "PI1.4"]
    assert plain["severity_id"] == 4 and plain["status"] == "New" and plain["time"] == 1796083200000
    assert any(e["resources"][0]["uid"] == SITE_URN for e in events)


def test_ocsf_invalid_event_is_rejected() -> None:
    """The validator the tests rely on does reject a wrong Compliance Finding."""
    event = {"class_uid": 2003, "category_uid": 2, "activity_id": 1, "type_uid": 200399, "time": 0, "severity_id": 3}
    with pytest.raises(Exception):  # noqa: B017 - pydantic's ValidationError or ocsf_emitter's InvalidFindingError
        ocsf_emitter.validate(ocsf_emitter.models.ComplianceFinding.model_validate(event))


def test_every_criterion_the_pack_cites_has_a_title() -> None:
    from policies.matrix import criteria
    from policies.registry import ALL_POLICIES
    from preflight.report.controls import CRITERIA_TITLES

    cited = {criterion for policy in ALL_POLICIES for criterion in criteria(policy)}
    assert cited - set(CRITERIA_TITLES) == set()
