"""Which policy config a run applies, how reports name it, and settings checked against each policy's schema."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from preflight.analyze.config import resolve_config
from preflight.analyze.pack import PolicyPackSpec, load_policy_pack
from preflight.errors import InputError
from tests.preflight.conftest import REAL_PACK, write_project

PROD_CONFIG = REAL_PACK / "config" / "prod.json"
STAGING_CONFIG = REAL_PACK / "config" / "staging.json"  # no exceptions: they name logmesh resources, so fit no other stack


@pytest.fixture(scope="module")
def real_pack() -> PolicyPackSpec:
    return load_policy_pack(REAL_PACK)


def test_another_project_gets_the_pack_defaults_for_a_stack_named_like_logmeshs(cli, s3_project: Path, pack_dir: Path) -> None:
    (s3_project / "Pulumi.prod.yaml").write_text("config: {}\n", encoding="utf-8")
    report = cli("--project-dir", s3_project, "--policy-pack", pack_dir, "--stack", "prod", "--format", "json").json()
    assert report["policy_config"] == {"path": "", "sha256": ""}
    text = cli("--project-dir", s3_project, "--policy-pack", pack_dir, "--stack", "prod").out
    assert "policy config: pack defaults" in text


def test_a_named_config_is_reported_with_its_digest(cli, s3_project: Path, pack_dir: Path) -> None:
    report = cli("--project-dir", s3_project, "--policy-pack", pack_dir, "--policy-config", STAGING_CONFIG, "--format", "json").json()
    digest = hashlib.sha256(STAGING_CONFIG.read_bytes()).hexdigest()
    assert report["policy_config"] == {"path": str(STAGING_CONFIG), "sha256": digest}
    markdown = cli("--project-dir", s3_project, "--policy-pack", pack_dir, "--policy-config", STAGING_CONFIG, "--format", "markdown").out
    assert f"`{STAGING_CONFIG}` (sha256 {digest})" in markdown


def test_logmesh_itself_gets_its_environment_config(cli, tmp_path: Path, pack_dir: Path) -> None:
    project = write_project(tmp_path / "fork", "import pulumi\n", name="logmesh")
    (project / "Pulumi.staging.yaml").write_text("config: {}\n", encoding="utf-8")
    report = cli("--project-dir", project, "--policy-pack", pack_dir, "--stack", "staging", "--allow-empty", "--format", "json").json()
    assert report["policy_config"]["path"] == str(STAGING_CONFIG)


@pytest.mark.parametrize(
    ("setting", "fragment"),
    [
        ({"log-store-deletion-protected": {"require_protect": None}}, "log-store-deletion-protected.require_protect: None is not of type"),
        (
            {"s3-retention-within-bounds": {"min_retention_days": "90"}},
            "s3-retention-within-bounds.min_retention_days: '90' is not of type",
        ),
        ({"s3-object-lock-default-retention": {"object_lock_mode": "LEGAL"}}, "s3-object-lock-default-retention.object_lock_mode"),
    ],
)
def test_settings_are_checked_against_the_policy_schema(real_pack: PolicyPackSpec, setting: dict, fragment: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InputError, match="^--policy-config c.json: " + fragment.replace("(", r"\(").replace(".", r"\.")):
        resolve_config(real_pack, setting, "--policy-config c.json")


def test_null_setting_is_exit_2_naming_the_setting(cli, s3_project: Path, pack_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"log-store-deletion-protected": {"require_protect": None}}), encoding="utf-8")
    result = cli("--project-dir", s3_project, "--policy-pack", pack_dir, "--policy-config", path)
    assert result.code == 2
    assert "log-store-deletion-protected.require_protect" in result.err
    assert "Traceback" not in result.err
