"""What the verdict rests on: every value preflight stood in offline is listed in the text, Markdown and JSON
reports, through the CLI; `--stack-reference` files replace the stack-reference stand-ins."""

from __future__ import annotations

import json
from pathlib import Path

from tests.preflight.conftest import write_project

PROGRAM = """\
import pulumi
import pulumi_aws as aws

ami = aws.ec2.get_ami(most_recent=True, owners=["amazon"])
network = pulumi.StackReference("acme/network/prod")
aws.ec2.Instance("web", ami=ami.id, instance_type="t3.micro", subnet_id=network.require_output("subnetId"))
"""
INSTANCE_URN = "urn:pulumi:dev::outside::aws:ec2/instance:Instance::web"


def test_json_lists_every_stand_in(cli, tmp_path: Path, small_pack: Path) -> None:
    project = write_project(tmp_path / "p", PROGRAM)
    report = cli("--project-dir", project, "--policy-pack", small_pack, "--format", "json").json()
    by_kind = {(s["kind"], s["subject"]): s["detail"] for s in report["stand_ins"]}
    assert by_kind[("invoke", "aws:ec2/getAmi:getAmi")].startswith("stood in: ")
    assert by_kind[("stack-reference", "acme/network/prod")] == "no --stack-reference file; stood in: subnetId"
    assert by_kind[("output", INSTANCE_URN)].startswith("stood in: ")
    instance = next(r for r in report["resources"] if r["urn"] == INSTANCE_URN)
    assert instance["inputs"]["ami"].startswith("ami-") and instance["inputs"]["subnetId"] == "standin-subnetId"


def test_text_and_markdown_say_what_the_verdict_rests_on(cli, tmp_path: Path, small_pack: Path) -> None:
    project = write_project(tmp_path / "p", PROGRAM)
    text = cli("--project-dir", project, "--policy-pack", small_pack).out
    assert "What the verdict rests on: stood in offline: 1 invoke result, 1 resource's computed outputs, 1 stack reference" in text
    markdown = cli("--project-dir", project, "--policy-pack", small_pack, "--format", "markdown").out
    section = markdown.split("### What the verdict rests on", 1)[1].split("###", 1)[0]
    assert "1 invoke result, 1 resource's computed outputs, 1 stack reference" in section
    assert "<details><summary>3 stand-ins</summary>" in section
    assert "| stack-reference | `acme/network/prod` | no --stack-reference file; stood in: subnetId |" in section


def test_a_program_with_nothing_stood_in_says_so(cli, tmp_path: Path, small_pack: Path) -> None:
    project = write_project(tmp_path / "p", 'import pulumi_aws as aws\naws.kms.Key("logs", enable_key_rotation=True)\n')
    assert "What the verdict rests on: nothing stood in offline" in cli("--project-dir", project, "--policy-pack", small_pack).out


def test_stack_reference_file_replaces_the_stand_in(cli, tmp_path: Path, small_pack: Path) -> None:
    project = write_project(tmp_path / "p", PROGRAM)
    outputs = tmp_path / "network.json"
    outputs.write_text(json.dumps({"subnetId": "subnet-0abc"}), encoding="utf-8")
    args = ("--project-dir", project, "--policy-pack", small_pack, "--format", "json")
    report = cli(*args, "--stack-reference", f"acme/network/prod={outputs}").json()
    assert not [s for s in report["stand_ins"] if s["kind"] == "stack-reference"]
    instance = next(r for r in report["resources"] if r["urn"] == INSTANCE_URN)
    assert instance["inputs"]["subnetId"] == "subnet-0abc"


def test_bad_stack_reference_file_exits_2_naming_the_flag(cli, tmp_path: Path, small_pack: Path) -> None:
    project = write_project(tmp_path / "p", PROGRAM)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    for value in (f"acme/network/prod={bad}", f"acme/network/prod={tmp_path / 'missing.json'}", "acme/network/prod"):
        result = cli("--project-dir", project, "--policy-pack", small_pack, "--stack-reference", value)
        assert result.code == 2 and result.err.startswith(f"preflight: --stack-reference {value}: "), result.err
        assert "Traceback" not in result.err and result.out == ""
