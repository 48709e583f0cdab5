"""The evidence bundle of the prod stack: every format, a manifest `sha256sum -c` verifies, an SSH signature
`ssh-keygen -Y verify` verifies, and one changed byte fails both. One prod run serves every test here."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from preflight.cli import main
from preflight.report.bundle import MANIFEST, SIGNATURE, SIGNATURE_NAMESPACE, SIGNING_KEY_ENV, manifest_text
from tests.preflight.report.test_evidence import NOW, ocsf_events
from tests.preflight.report.test_json import REPORT_KEYS

IDENTITY = "evidence@logmesh.example"
COMMENT_LIMIT = 65536  # GitHub's limit for a pull-request comment body
REPORTS = ["report.json", "report.md", "report.ocsf.jsonl", "report.sarif", "report.txt"]


@pytest.fixture(scope="module")
def signers(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An SSH signing key and the allowed_signers file an auditor keeps."""
    folder = tmp_path_factory.mktemp("key")
    key = folder / "signing"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", IDENTITY, "-f", str(key)], check=True)
    public = (folder / "signing.pub").read_text(encoding="utf-8").split()
    allowed = folder / "allowed_signers"
    allowed.write_text(f'{IDENTITY} namespaces="{SIGNATURE_NAMESPACE}" {public[0]} {public[1]}\n', encoding="utf-8")
    return key, allowed


@pytest.fixture(scope="module")
def prod_bundle(tmp_path_factory: pytest.TempPathFactory, signers: tuple[Path, Path]) -> Path:
    bundle = tmp_path_factory.mktemp("evidence") / "prod"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SIGNING_KEY_ENV, str(signers[0]))
        assert main(["--stack", "prod", "--evidence", str(bundle), "--now", NOW]) == 0
    return bundle


def _sha256sum(bundle: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sha256sum", "-c", MANIFEST], cwd=bundle, capture_output=True, text=True, check=False)


def _ssh_verify(bundle: Path, allowed: Path) -> subprocess.CompletedProcess[str]:
    # The documented command: ssh-keygen -Y verify -f allowed_signers -I <identity> -n logmesh-evidence -s MANIFEST.sha256.sig
    with (bundle / MANIFEST).open("rb") as manifest:
        return subprocess.run(
            ["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", IDENTITY, "-n", SIGNATURE_NAMESPACE, "-s", SIGNATURE],
            cwd=bundle,
            stdin=manifest,
            capture_output=True,
            text=True,
            check=False,
        )


def test_bundle_holds_every_format_and_verifies(prod_bundle: Path, signers: tuple[Path, Path]) -> None:
    assert sorted(p.name for p in prod_bundle.iterdir()) == sorted([*REPORTS, MANIFEST, SIGNATURE])
    assert [line.split("  ")[1] for line in (prod_bundle / MANIFEST).read_text().splitlines()] == REPORTS
    checked = _sha256sum(prod_bundle)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    verified = _ssh_verify(prod_bundle, signers[1])
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_one_changed_byte_fails_the_manifest_and_the_signature(prod_bundle: Path, signers: tuple[Path, Path], tmp_path: Path) -> None:
    tampered = shutil.copytree(prod_bundle, tmp_path / "tampered")
    report = tampered / "report.json"
    data = bytearray(report.read_bytes())
    data[len(data) // 2] ^= 0x01
    report.write_bytes(bytes(data))
    assert _sha256sum(tampered).returncode != 0
    # Whoever changes a report and rewrites the manifest to match still fails the signature.
    files = {name: (tampered / name).read_bytes() for name in REPORTS}
    (tampered / MANIFEST).write_text(manifest_text(files), encoding="utf-8")
    assert _sha256sum(tampered).returncode == 0
    assert _ssh_verify(tampered, signers[1]).returncode != 0


def test_prod_markdown_fits_a_comment_with_no_repeated_rows(prod_bundle: Path) -> None:
    markdown = (prod_bundle / "report.md").read_text(encoding="utf-8")
    assert len(markdown) < COMMENT_LIMIT
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and not line.startswith("| ---")]
    assert len(rows) == len(set(rows))
    first_screen = markdown.split("### Findings", 1)[0]
    assert first_screen.startswith("## :white_check_mark: preflight logmesh/prod: PASSED")
    assert "| resources | examined |" in first_screen and "### SOC 2 control matrix" in first_screen


def test_prod_json_controls_coverage_and_provenance(prod_bundle: Path) -> None:
    report = json.loads((prod_bundle / "report.json").read_text(encoding="utf-8"))
    assert list(report) == REPORT_KEYS
    coverage = report["coverage"]
    assert coverage["recorded"] == len(report["resources"]) and 0 < coverage["examined"] <= coverage["recorded"]
    assert report["provenance"]["policy_config"]["path"] == "policies/config/prod.json"  # project-relative: same anywhere
    assert report["provenance"]["mode"] == "program" and report["provenance"]["generated_at"] == NOW
    criteria = [c["criterion"] for c in report["controls"]]
    assert len(criteria) == len(set(criteria)) and "CC6.1" in criteria
    assert all(c["status"] != "failed" for c in report["controls"])  # prod has no mandatory violation
    assert all(p["evaluated"] is not None and p["passed"] <= p["evaluated"] for c in report["controls"] for p in c["policies"])
    ocsf_events((prod_bundle / "report.ocsf.jsonl").read_text(encoding="utf-8"))


def test_unsigned_bundle_has_no_signature_and_a_stale_one_is_removed(cli, s3_project: Path, small_pack: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / SIGNATURE).write_text("left by an earlier run", encoding="utf-8")
    result = cli("--project-dir", s3_project, "--policy-pack", small_pack, "--evidence", bundle)
    assert result.code == 1 and result.out == "" and f"(evidence bundle: {bundle})" in result.err
    assert sorted(p.name for p in bundle.iterdir()) == sorted([*REPORTS, MANIFEST])
    assert _sha256sum(bundle).returncode == 0


def test_a_missing_signing_key_is_one_clear_error(
    cli, s3_project: Path, small_pack: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SIGNING_KEY_ENV, str(tmp_path / "no-such-key"))
    result = cli("--project-dir", s3_project, "--policy-pack", small_pack, "--evidence", tmp_path / "bundle")
    assert result.code == 2 and result.err.startswith(f"preflight: {SIGNING_KEY_ENV}=") and "no such key file" in result.err
    assert "Traceback" not in result.err and not (tmp_path / "bundle").exists()
