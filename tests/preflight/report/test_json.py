"""The JSON report's shape, through the CLI."""

from __future__ import annotations

from pathlib import Path

from tests.preflight.conftest import PLAIN_URN

VIOLATION_KEYS = {"policy", "enforcement", "tier", "severity", "urn", "resource_type", "message", "soc2", "remediation"}
REPORT_KEYS = [
    "project",
    "stack",
    "mode",
    "policy_config",
    "resources",
    "violations",
    "exceptions",
    "scope",
    "provenance",
    "controls",
    "coverage",
    "summary",
    "charts",
    "stand_ins",
]
VIOLATION_KEYS = {"policy", "enforcement", "tier", "severity", "urn", "resource_type", "message", "soc2", "remediation"}


def test_json_shape_is_pinned(cli, s3_project: Path, small_pack: Path) -> None:
    report = cli("--project-dir", s3_project, "--policy-pack", small_pack, "--format", "json").json()
    assert report["policy_config"] == {"path": "", "sha256": ""}
    assert report["charts"]["rendered"] == {} and report["charts"]["not_rendered"] == []  # no Helm release
    assert list(report) == REPORT_KEYS
    assert (report["project"], report["stack"], report["mode"]) == ("outside", "dev", "program")
    assert all(set(r) == {"urn", "type", "name", "parent", "inputs"} for r in report["resources"])
    assert all(set(v) == VIOLATION_KEYS for v in report["violations"])
    assert report["stand_ins"] and all(set(s) == {"kind", "subject", "detail"} for s in report["stand_ins"])
    assert report["summary"] == {"resources": 4, "policies": 4, "mandatory": 2, "advisory": 2, "exceptions": 0}
    plain = next(v for v in report["violations"] if v["policy"] == "s3-bucket-encrypted")
    assert plain == {
        "policy": "s3-bucket-encrypted",
        "enforcement": "mandatory",
        "tier": "",
        "severity": "high",
        "urn": PLAIN_URN,
        "resource_type": "aws:s3/bucket:Bucket",
        "message": "the bucket has no default encryption",
        "soc2": ["CC6.1", "PI1.4"],
        "remediation": "Add a server-side encryption configuration with aws:kms.",
    }
    bucket = next(r for r in report["resources"] if r["urn"] == PLAIN_URN)
    assert bucket["inputs"] == {"bucket": "acme-plain-logs", "tags": {"owner-token": "[secret]"}}
