"""Inputs preflight refuses with exit 2 and one line (bounded parsing, nothing to check, --output over an input), and how
reports are written: whole or not at all, and never left behind by a failed run."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.preflight.conftest import write_project

FIXTURE = Path(__file__).parent / "record" / "fixtures" / "outside-dev.export.json"
BUCKET = "import pulumi_aws as aws\naws.s3.Bucket('b')\n"
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)


def assert_refused(result: Any, *fragments: str) -> None:
    assert result.code == 2, (result.code, result.err)
    assert result.out == "" and "Traceback" not in result.err
    lines = result.err.rstrip("\n").splitlines()
    assert len(lines) == 1 and lines[0].startswith("preflight: "), result.err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        (b"config:\n  outside:name: caf\xe9\n", ("is not UTF-8: byte 0xe9", "line 2")),
        (b"config:\n  outside:a: &x [*x]\n", ("alias *x is inside the value it refers to",)),
        (ALIAS_BOMB.encode(), ("alias bomb",)),
        (b"config:\n  outside:deep: " + b"[" * 200 + b"]" * 200 + b"\n", ("nesting is deeper than 64 levels",)),
        (b"config:\n  outside:a: 1\n  outside:a: 2\n", ('mapping key "outside:a" already defined at line 2',)),
    ],
    ids=["non-utf8", "alias-cycle", "alias-bomb", "deep", "duplicate-key"],
)
def test_bad_stack_file(cli, tmp_path: Path, small_pack: Path, content: bytes, fragments: tuple[str, ...]) -> None:
    project = write_project(tmp_path / "p", BUCKET)
    (project / "Pulumi.dev.yaml").write_bytes(content)
    assert_refused(cli("--project-dir", project, "--policy-pack", small_pack), "Pulumi.dev.yaml", *fragments)


def test_non_utf8_pulumi_yaml(cli, tmp_path: Path, small_pack: Path) -> None:
    project = write_project(tmp_path / "p", BUCKET)
    (project / "Pulumi.yaml").write_bytes(b"name: outside\nruntime: python\ndescription: \xff\n")
    assert_refused(cli("--project-dir", project, "--policy-pack", small_pack), "Pulumi.yaml", "line 3", "is not UTF-8: byte 0xff")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b'{"all": "advisory\xff"}', "is not UTF-8: byte 0xff"),
        (b"[" * 900 + b"]" * 900, "nesting is deeper than 64 levels"),
        (b'{"all": "advisory", "all": "mandatory"}', 'object key "all" appears twice'),
    ],
    ids=["non-utf8", "deep", "duplicate-key"],
)
def test_bad_policy_config(cli, s3_project: Path, small_pack: Path, tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "config.json"
    path.write_bytes(content)
    assert_refused(cli("--project-dir", s3_project, "--policy-pack", small_pack, "--policy-config", path), "--policy-config", fragment)


def _export(tmp_path: Path, change: Callable[[list[dict[str, Any]]], None]) -> Path:
    document = json.loads(FIXTURE.read_text(encoding="utf-8"))
    change(document["deployment"]["resources"])
    path = tmp_path / "export.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _self_parent(resources: list[dict[str, Any]]) -> None:
    resources[4]["parent"] = resources[4]["urn"]


def _parent_cycle(resources: list[dict[str, Any]]) -> None:
    resources[4]["parent"], resources[5]["parent"] = resources[5]["urn"], resources[4]["urn"]


def _nul_in_source(resources: list[dict[str, Any]]) -> None:
    resources[4]["sourcePosition"] = "project:///__ma\0in__.py#6,9"


@pytest.mark.parametrize(
    ("change", "fragment"),
    [(_self_parent, "is its own parent"), (_parent_cycle, "resources form a parent cycle"), (_nul_in_source, "has a NUL character")],
    ids=["self-parent", "parent-cycle", "nul-in-source-position"],
)
def test_bad_state_export(cli, tmp_path: Path, small_pack: Path, change: Callable[[list[dict[str, Any]]], None], fragment: str) -> None:
    export = _export(tmp_path, change)
    output = tmp_path / "report.sarif"
    result = cli("--state", export, "--policy-pack", small_pack, "--format", "sarif", "--output", output)
    assert_refused(result, "--state", fragment)
    assert not output.exists()  # no 0-byte SARIF


def test_deep_state_export(cli, tmp_path: Path, small_pack: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text('{"version": 3, "deployment": ' + "[" * 800 + "]" * 800 + "}", encoding="utf-8")
    assert_refused(cli("--state", path, "--policy-pack", small_pack), "--state", "nesting is deeper than 64 levels")


# --- nothing to check ---------------------------------------------------------------------------------------------


def test_a_program_with_no_resources_is_no_pass(cli, tmp_path: Path, small_pack: Path) -> None:
    project = write_project(tmp_path / "empty", "import pulumi\npulumi.export('x', 1)\n")
    assert_refused(cli("--project-dir", project, "--policy-pack", small_pack), "registered no resources", "--allow-empty")
    allowed = cli("--project-dir", project, "--policy-pack", small_pack, "--allow-empty")
    assert allowed.code == 0 and "PASSED: nothing to check (no resources; --allow-empty)" in allowed.out


def _only_pending_deletes(resources: list[dict[str, Any]]) -> None:
    for resource in resources:
        if resource["type"] != "pulumi:pulumi:Stack":
            resource["delete"] = True


@pytest.mark.parametrize("change", [_only_pending_deletes, lambda resources: resources.clear()], ids=["pending-deletes", "none"])
def test_a_state_with_nothing_live_is_no_pass(cli, tmp_path: Path, small_pack: Path, change: Callable[[list[Any]], None]) -> None:
    export = _export(tmp_path, change)
    assert_refused(cli("--state", export, "--policy-pack", small_pack), "holds no live resource", "--allow-empty")
    assert cli("--state", export, "--policy-pack", small_pack, "--allow-empty", "--stack", "dev").code == 0


# --- reports ------------------------------------------------------------------------------------------------------


def test_a_failed_run_removes_the_previous_report(cli, tmp_path: Path, small_pack: Path) -> None:
    project = write_project(
        tmp_path / "p",
        "import pulumi_aws as aws\naws.s3.Bucket('b', server_side_encryption_configuration="
        "{'rule': {'apply_server_side_encryption_by_default': {'sse_algorithm': 'aws:kms'}}})\n",
    )
    output = tmp_path / "report.md"
    assert cli("--project-dir", project, "--policy-pack", small_pack, "--format", "markdown", "--output", output).code == 0
    assert "PASSED" in output.read_text(encoding="utf-8")
    (project / "__main__.py").write_text("raise ValueError('broken')\n", encoding="utf-8")
    assert_refused(cli("--project-dir", project, "--policy-pack", small_pack, "--format", "markdown", "--output", output), "broken")
    assert not output.exists()


def test_the_report_is_written_whole(cli, s3_project: Path, small_pack: Path, tmp_path: Path) -> None:
    output = tmp_path / "report.json"
    output.write_text("previous", encoding="utf-8")
    assert cli("--project-dir", s3_project, "--policy-pack", small_pack, "--format", "json", "--output", output).code == 1
    assert json.loads(output.read_text(encoding="utf-8"))["summary"]["resources"] == 4
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report.json.")] == []  # no temporary file left


@pytest.mark.parametrize("which", ["stack file", "Pulumi.yaml", "program", "policy config", "pack"])
def test_output_may_not_be_an_input(cli, tmp_path: Path, small_pack: Path, which: str) -> None:
    project = write_project(tmp_path / "p", BUCKET, stack_config="config: {}\n")
    config = tmp_path / "config.json"
    config.write_text("{}", encoding="utf-8")
    target = {
        "stack file": project / "Pulumi.dev.yaml",
        "Pulumi.yaml": project / "Pulumi.yaml",
        "program": project / "__main__.py",
        "policy config": config,
        "pack": small_pack / "__main__.py",
    }[which]
    before = target.read_bytes()
    result = cli("--project-dir", project, "--policy-pack", small_pack, "--policy-config", config, "--output", target)
    assert_refused(result, "is an input of this run", "write the report to another file")
    assert target.read_bytes() == before


def test_output_may_not_be_the_state_export(cli, tmp_path: Path, small_pack: Path) -> None:
    export = _export(tmp_path, lambda resources: None)
    before = export.read_bytes()
    assert_refused(cli("--state", export, "--policy-pack", small_pack, "--output", export), "is an input of this run")
    assert export.read_bytes() == before
