"""The CLI end to end: a program outside the repository, exit codes, error messages, report shapes."""

from __future__ import annotations

import datetime
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from preflight import cli as preflight_cli
from preflight.analyze.findings import days_until
from preflight.record.program import record_program
from preflight.report.formats import render
from preflight.worker import check
from tests.helpers.harness import example_recording
from tests.preflight.conftest import PLAIN_URN, ROOT, SITE_URN, write_pack, write_project


def test_outside_program_flaws_are_found(cli, s3_project: Path, pack_dir: Path) -> None:
    result = cli("--project-dir", s3_project, "--policy-pack", pack_dir, "--format", "json")
    assert result.code == 1, result.err
    report = result.json()
    mandatory = [v for v in report["violations"] if v["enforcement"] == "mandatory"]
    on_plain = [v for v in mandatory if v["urn"] == PLAIN_URN]
    assert on_plain, f"no mandatory violation on the unencrypted bucket: {report['violations']}"
    assert all(v["soc2"] and v["remediation"] and v["resource_type"] == "aws:s3/bucket:Bucket" for v in on_plain)
    assert any(v["urn"] == SITE_URN for v in report["violations"]), "the public-read bucket was not flagged"
    assert report["summary"]["mandatory"] == len(mandatory)


def test_outside_program_with_the_small_pack_names_policy_and_criteria(cli, s3_project: Path, small_pack: Path) -> None:
    result = cli("--project-dir", s3_project, "--policy-pack", small_pack)
    assert result.code == 1
    assert "FAILED: 2 mandatory violations" in result.out
    assert "s3-bucket-encrypted" in result.out and "plain" in result.out and "CC6.1, PI1.4" in result.out
    assert "\x1b[" not in result.out  # not a terminal: no colour codes


def test_every_registered_resource_is_in_the_json_report(cli, s3_project: Path, small_pack: Path) -> None:
    recording = record_program(s3_project, "outside", "dev", {})
    result = cli("--project-dir", s3_project, "--policy-pack", small_pack, "--format", "json")
    report = result.json()
    assert len(report["resources"]) == len(recording.resources) == 4
    assert sorted(r["urn"] for r in report["resources"]) == sorted(r.urn for r in recording.resources)
    assert report["summary"]["resources"] == 4


def test_approved_exceptions_move_out_of_violations(cli, s3_project: Path, small_pack: Path, tmp_path: Path) -> None:
    config = tmp_path / "policy-config.json"
    exception = {"resource": "site", "reason": "public website, reviewed", "approved_by": "security@acme.example", "expires": "2099-12-31"}
    config.write_text(json.dumps({"s3-no-public-acl": {"exceptions": [exception]}}), encoding="utf-8")
    result = cli("--project-dir", s3_project, "--policy-pack", small_pack, "--policy-config", config, "--format", "json")
    report = result.json()
    assert result.code == 1  # the unencrypted bucket still fails
    assert not [v for v in report["violations"] if v["policy"] in ("s3-no-public-acl", "approved-exceptions")]
    assert report["exceptions"] == [
        {
            "policy": "s3-no-public-acl",
            "enforcement": "mandatory",
            "tier": "",
            "severity": "critical",
            "urn": SITE_URN,
            "resource_type": "aws:s3/bucket:Bucket",
            "message": "acl is public-read",
            "soc2": ["CC6.1", "CC6.6"],
            "remediation": "Remove the public ACL; use BucketOwnerEnforced ownership.",
            "reason": "public website, reviewed",
            "approved_by": "security@acme.example",
            "expires": "2099-12-31",
            "days_left": days_until("2099-12-31"),
        }
    ]
    assert report["summary"]["exceptions"] == 1 and report["summary"]["mandatory"] == 1
    markdown = cli("--project-dir", s3_project, "--policy-pack", small_pack, "--policy-config", config, "--format", "markdown").out
    assert "| `s3-no-public-acl` | CC6.1, CC6.6 | `site` | public website, reviewed | security@acme.example | 2099-12-31 (" in markdown


def test_passing_program_exits_0(cli, tmp_path: Path, small_pack: Path) -> None:
    project = write_project(
        tmp_path / "clean",
        "import pulumi_aws as aws\n"
        "aws.s3.Bucket('ok', server_side_encryption_configuration={'rule': {'apply_server_side_encryption_by_default':"
        " {'sse_algorithm': 'aws:kms'}}})\n",
    )
    result = cli("--project-dir", project, "--policy-pack", small_pack)
    assert result.code == 0, result.out + result.err
    assert "PASSED: no mandatory violation" in result.out


def test_output_file_and_summary_line(cli, s3_project: Path, small_pack: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    result = cli("--project-dir", s3_project, "--policy-pack", small_pack, "--format", "markdown", "--output", target)
    assert result.code == 1 and result.out == ""
    assert "FAILED: 2 mandatory violations" in result.err and str(target) in result.err
    assert target.read_text(encoding="utf-8").startswith("## :x: preflight outside/dev")


def test_preview_runs_with_unknown_outputs(cli, s3_project: Path, small_pack: Path) -> None:
    result = cli("--project-dir", s3_project, "--policy-pack", small_pack, "--preview", "--format", "json")
    assert result.code == 1
    policy = next(r for r in result.json()["resources"] if r["name"] == "plain-policy")
    assert policy["inputs"]["bucket"] == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the bucket id is unknown in a preview


def test_preview_unknown_values_give_the_analyzers_advisory(cli, tmp_path: Path) -> None:
    pack = write_pack(
        tmp_path / "reads-unknown",
        "from pulumi_policy import PolicyPack, ResourceValidationPolicy, EnforcementLevel\n"
        "def check(args, report):\n"
        "    if args.resource_type == 'aws:s3/bucketPolicy:BucketPolicy' and 'Deny' not in args.props['policy']:\n"
        "        report('no deny statement')\n"
        "PolicyPack('p', enforcement_level=EnforcementLevel.MANDATORY, policies=[ResourceValidationPolicy("
        "name='bucket-policy-denies', description='d', validate=check)])\n",
    )
    project = write_project(
        tmp_path / "p",
        "import pulumi_aws as aws\nb = aws.s3.Bucket('b')\n"
        "aws.s3.BucketPolicy('bp', bucket=b.id, policy=b.arn.apply(lambda a: '{\"Statement\": []}'))\n",
    )
    preview = cli("--project-dir", project, "--policy-pack", pack, "--preview", "--format", "json")
    assert preview.code == 0
    [advisory] = preview.json()["violations"]
    assert advisory["enforcement"] == "advisory" and "during preview" in advisory["message"]
    assert advisory["urn"].endswith("::bp")
    run = cli("--project-dir", project, "--policy-pack", pack, "--format", "json")
    assert run.code == 1 and run.json()["violations"][0]["message"] == "no deny statement"


# --- errors: exit 2, one message, no traceback --------------------------------------------------------------


def _assert_clean_error(result, *fragments: str) -> None:  # type: ignore[no-untyped-def]
    assert result.code == 2
    assert result.out == ""
    assert "Traceback" not in result.err
    assert result.err.startswith("preflight: ")
    for fragment in fragments:
        assert fragment in result.err, result.err


def test_program_that_raises_names_the_error(cli, tmp_path: Path, small_pack: Path) -> None:
    project = write_project(tmp_path / "raises", "import pulumi_aws as aws\naws.s3.Bucket('b')\nraise ValueError('region must be set')\n")
    result = cli("--project-dir", project, "--policy-pack", small_pack)
    _assert_clean_error(result, "ValueError: region must be set", f"{project.resolve()}/__main__.py:3")


@pytest.mark.parametrize("code", [0, 1, 3])
def test_program_that_exits_early_is_a_program_error(cli, tmp_path: Path, small_pack: Path, code: int) -> None:
    project = write_project(tmp_path / "exits", f"import sys\nimport pulumi_aws as aws\naws.s3.Bucket('b')\nsys.exit({code})\n")
    result = cli("--project-dir", project, "--policy-pack", small_pack)
    _assert_clean_error(result, f"it called sys.exit({code}) before it finished", f"{project.resolve()}/__main__.py:4")


def test_program_that_raises_with_debug_shows_the_traceback(cli, tmp_path: Path, small_pack: Path) -> None:
    project = write_project(tmp_path / "raises", "raise ValueError('region must be set')\n")
    result = cli("--project-dir", project, "--policy-pack", small_pack, "--debug")
    assert result.code == 2 and result.out == ""  # --debug adds the traceback and keeps the exit code
    assert "Traceback (most recent call last)" in result.err and "ValueError: region must be set" in result.err
    assert result.err.rstrip().splitlines()[-1].startswith("preflight: the program")


def test_logmesh_config_error_prints_its_lines(cli, tmp_path: Path, small_pack: Path) -> None:
    stack = (ROOT / "stacks" / "Pulumi.prod.yaml").read_text(encoding="utf-8").replace("mesh: linkerd", "mesh: consul", 1)
    project = tmp_path / "logmesh-copy"
    (project / "stacks").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (project / "__main__.py").write_text((ROOT / "__main__.py").read_text(encoding="utf-8"), encoding="utf-8")
    (project / "stacks" / "Pulumi.prod.yaml").write_text(stack, encoding="utf-8")
    result = cli("--project-dir", project, "--stack", "prod", "--policy-pack", small_pack)
    _assert_clean_error(result, "preflight: invalid stack configuration:\n  - logmesh:clusters[1].mesh:", "consul")


def test_missing_project_folder(cli, tmp_path: Path) -> None:
    _assert_clean_error(cli("--project-dir", tmp_path / "nowhere"), "no such folder")


def test_missing_policy_pack(cli, s3_project: Path, tmp_path: Path) -> None:
    _assert_clean_error(cli("--project-dir", s3_project, "--policy-pack", tmp_path), "needs PulumiPolicy.yaml and __main__.py")


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"no-such-policy": "mandatory"}, "unknown policy 'no-such-policy'"),
        ({"s3-bucket-encrypted": {"minimumDays": 3}}, "s3-bucket-encrypted.minimumDays is not a setting of this policy"),
        ({"s3-bucket-encrypted": "sometimes"}, "enforcement level 'sometimes' is not one of"),
    ],
)
def test_bad_policy_config(cli, s3_project: Path, small_pack: Path, tmp_path: Path, config: dict, fragment: str) -> None:  # type: ignore[type-arg]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    _assert_clean_error(cli("--project-dir", s3_project, "--policy-pack", small_pack, "--policy-config", path), fragment)


def test_policy_config_that_is_not_json(cli, s3_project: Path, small_pack: Path, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"all": ', encoding="utf-8")
    _assert_clean_error(cli("--project-dir", s3_project, "--policy-pack", small_pack, "--policy-config", path), "not valid JSON")


def test_policy_that_raises(cli, s3_project: Path, tmp_path: Path) -> None:
    pack = write_pack(
        tmp_path / "raising-pack",
        "from pulumi_policy import PolicyPack, ResourceValidationPolicy\n"
        "def check(args, report):\n    raise KeyError('versioning')\n"
        "PolicyPack('raising', policies=[ResourceValidationPolicy(name='x', description='d', validate=check)])\n",
    )
    _assert_clean_error(cli("--project-dir", s3_project, "--policy-pack", pack), "policy pack raising failed: KeyError: 'versioning'")


def test_unknown_format_is_a_usage_error(s3_project: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        preflight_cli.main(["--project-dir", str(s3_project), "--format", "html"])
    assert exit_info.value.code == 2


def test_piped_text_has_no_progress_bar_or_colour(s3_project: Path, small_pack: Path) -> None:
    """A real pipe, as in CI: plain text only."""
    completed = subprocess.run(
        [sys.executable, "-m", "preflight", "--project-dir", str(s3_project), "--policy-pack", str(small_pack)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "TERM": "xterm-256color", "FORCE_COLOR": "1"},
        check=False,
    )
    assert completed.returncode == 1
    assert "\x1b[" not in completed.stdout + completed.stderr
    assert "analyzing" not in completed.stderr and completed.stderr == ""
    assert completed.stdout.startswith("preflight outside/dev: FAILED: 2 mandatory violations")


# --- the repository itself --------------------------------------------------------------------------------------


def test_repository_stack_every_resource_reported(cli, pack_dir: Path) -> None:
    """The logmesh program from this repository, prod stack: every registration is in the JSON report."""
    recording = example_recording("prod")  # the session's recording of the same program and stack
    result = cli("--stack", "prod", "--policy-pack", pack_dir, "--format", "json")
    assert result.code in (0, 1), result.err
    report = result.json()
    assert report["summary"]["resources"] == len(report["resources"]) == len(recording.resources)
    assert {r["urn"] for r in report["resources"]} == {r.urn for r in recording.resources}


def test_make_preflight_prod_passes() -> None:
    """What `make preflight STACK=prod` runs."""
    completed = subprocess.run(
        [sys.executable, "-m", "preflight", "--stack", "prod", "--format", "text"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.startswith("preflight logmesh/prod: PASSED: no mandatory violation")


def test_broken_copy_of_a_stack_exits_1_naming_policy_resource_and_criteria(tmp_path: Path, pack_dir: Path) -> None:
    """The prod stack's program plus one flawed resource, in a copy of the project outside the repository."""
    project = tmp_path / "logmesh-broken"
    (project / "stacks").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (project / "stacks" / "Pulumi.prod.yaml").write_text((ROOT / "stacks" / "Pulumi.prod.yaml").read_text(encoding="utf-8"))
    (project / "__main__.py").write_text(
        (ROOT / "__main__.py").read_text(encoding="utf-8")
        + "\nimport pulumi_aws as aws\nunencrypted = aws.s3.Bucket('stray-logs', bucket='acme-prod-stray-logs')\n",
        encoding="utf-8",
    )
    config = pack_dir / "config" / "prod.json"
    extra = ["--policy-config", config] if config.is_file() else []
    # One run (the worker's, in this process), both reports rendered from it: the CLI's exit code and worker process
    # for the prod program are proved by test_repository_stack_every_resource_reported and test_make_preflight_prod_passes.
    argv = ["--project-dir", project, "--stack", "prod", "--policy-pack", pack_dir, *extra]
    evidence = check(preflight_cli._parser().parse_args([str(a) for a in argv])).evidence
    assert evidence.mandatory
    rendered = {}
    for format_ in ("json", "text"):
        out = io.StringIO()
        render(evidence, format_, out)
        rendered[format_] = out.getvalue()
    report = json.loads(rendered["json"])
    stray = [v for v in report["violations"] if v["urn"].endswith("::stray-logs") and v["enforcement"] == "mandatory"]
    assert stray and all(v["policy"] and v["soc2"] for v in stray)
    text = rendered["text"]
    assert "stray-logs" in text and stray[0]["policy"] in text and ", ".join(stray[0]["soc2"]) in text


def test_real_pack_exception_moves_a_violation(cli, s3_project: Path, tmp_path: Path) -> None:
    """The repository's pack reports approved exceptions the way preflight reads them."""
    before = cli("--project-dir", s3_project, "--format", "json").json()
    target = next(v for v in before["violations"] if v["urn"] == SITE_URN and v["enforcement"] == "mandatory")
    config = tmp_path / "config.json"
    expires = (datetime.date.today() + datetime.timedelta(days=90)).isoformat()
    exception = {"resource": "site", "reason": "legacy website", "approved_by": "ciso@acme.example", "expires": expires}
    config.write_text(json.dumps({target["policy"]: {"exceptions": [exception]}}), encoding="utf-8")
    after = cli("--project-dir", s3_project, "--policy-config", config, "--format", "json").json()
    assert not [v for v in after["violations"] if v["policy"] == target["policy"] and v["urn"] == SITE_URN]
    assert not [v for v in after["violations"] if v["policy"] == "approved-exceptions"]
    moved = [e for e in after["exceptions"] if e["policy"] == target["policy"]]
    assert moved and all(e["urn"] == SITE_URN and e["soc2"] == target["soc2"] and e["reason"] == "legacy website" for e in moved)
    assert after["summary"]["exceptions"] == len(after["exceptions"]) >= 1


class _Terminal:
    """A stand-in for a terminal's stderr: rich draws its live display into it."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return self.buffer.write(text)

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        raise OSError("not a real terminal")


def test_progress_bar_on_a_terminal_for_long_runs(s3_project: Path, small_pack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(preflight_cli, "PROGRESS_THRESHOLD", 1)
    assert preflight_cli.main(["--project-dir", str(s3_project), "--policy-pack", str(small_pack), "--format", "json"]) == 1
    assert "analyzing" in terminal.buffer.getvalue()
    monkeypatch.setattr(preflight_cli, "PROGRESS_THRESHOLD", 10_000)
    terminal.buffer.truncate(0)
    preflight_cli.main(["--project-dir", str(s3_project), "--policy-pack", str(small_pack), "--format", "json"])
    assert "analyzing" not in terminal.buffer.getvalue()  # a short run draws no bar


@pytest.mark.parametrize("config", [{"approved-exceptions": "disabled"}, {"all": "disabled"}])
def test_approved_exceptions_cannot_be_disabled(cli, s3_project: Path, pack_dir: Path, tmp_path: Path, config: dict) -> None:  # type: ignore[type-arg]
    """The real pack reports excepted violations only through approved-exceptions: disabling it would hide them."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    _assert_clean_error(
        cli("--project-dir", s3_project, "--policy-pack", pack_dir, "--policy-config", path),
        "approved-exceptions cannot be disabled",
    )
