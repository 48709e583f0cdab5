"""The markdown report, through the CLI: what a pull-request comment shows, and that it stays comment-sized."""

from __future__ import annotations

from pathlib import Path

from tests.preflight.conftest import write_project


def test_markdown_has_verdict_criteria_remediation_inventory_and_diagram(cli, s3_project: Path, small_pack: Path) -> None:
    markdown = cli("--project-dir", s3_project, "--policy-pack", small_pack, "--format", "markdown").out
    assert markdown.startswith("## :x: preflight outside/dev: FAILED: 2 mandatory violations")
    assert "| 4 | not recorded | 4 | 2 | 2 | 0 |" in markdown
    assert "| **CC6.1** Logical access security over protected information assets | :x: failed | 2 | not recorded | 2 | 0 |" in markdown
    assert "- `s3-bucket-encrypted`: Add a server-side encryption configuration with aws:kms." in markdown
    assert "| aws | `aws:s3/bucket:Bucket` | 2 |" in markdown
    assert "```mermaid\nflowchart LR" in markdown
    assert "-->|uses|" in markdown  # the bucket policy depends on its bucket


def test_markdown_stays_comment_sized(cli, tmp_path: Path, small_pack: Path) -> None:
    project = write_project(tmp_path / "many", "import pulumi_aws as aws\nfor i in range(60):\n    aws.s3.Bucket(f'b{i}')\n", name="many")
    markdown = cli("--project-dir", project, "--policy-pack", small_pack, "--format", "markdown").out
    section = markdown.split("### Findings (60)", 1)[1].split("###", 1)[0]
    assert section.count("| mandatory |") == 60 and len(markdown) < 65536
    assert len(cli("--project-dir", project, "--policy-pack", small_pack, "--format", "json").json()["violations"]) == 60
