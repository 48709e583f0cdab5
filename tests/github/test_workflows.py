"""The GitHub workflows: valid against the workflow schema, and wired as the issue asks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers.support import CHARTS_REQUIRED_ENV

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))


def _load(name: str) -> dict:  # type: ignore[type-arg]
    document = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as true
    return document


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_valid_against_github_workflow_schema(path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_offline_job_needs_no_secrets_and_reports() -> None:
    workflow = _load("preflight.yml")
    assert "pull_request" in workflow["on"]
    offline = workflow["jobs"]["offline"]
    text = yaml.safe_dump(offline)
    assert "secrets." not in text
    runs = " ".join(step.get("run", "") for step in offline["steps"])
    assert "make preflight" in runs and "FORMAT=sarif" in runs and "FORMAT=markdown" in runs
    assert "GITHUB_STEP_SUMMARY" in runs
    uses = [step.get("uses", "") for step in offline["steps"]]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert offline["permissions"]["security-events"] == "write"
    stacks = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in (WORKFLOWS.parents[1] / "stacks").glob("Pulumi.*.yaml"))
    assert sorted(offline["strategy"]["matrix"]["stack"]) == stacks  # every example stack, staging-elk too


def test_comment_workflow_runs_after_preflight_with_write_access() -> None:
    workflow = _load("preflight-comment.yml")
    assert workflow["on"]["workflow_run"]["workflows"] == ["preflight"]
    job = workflow["jobs"]["comment"]
    assert job["permissions"]["pull-requests"] == "write"
    assert "checkout" not in yaml.safe_dump(job)  # never runs code from the pull request


def test_cloud_preview_runs_the_pack_only_with_secrets() -> None:
    job = _load("preflight.yml")["jobs"]["cloud-preview"]
    pulumi = next(step for step in job["steps"] if step.get("uses", "").startswith("pulumi/actions@"))
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["policyPacks"] == "policies"
    assert pulumi["with"]["policyPackConfigs"] == "policies/config/${{ matrix.stack }}.json"
    assert pulumi["if"] == "steps.gate.outputs.available == 'true'"
    gate = next(step for step in job["steps"] if step.get("id") == "gate")
    assert "PULUMI_ACCESS_TOKEN" in gate["run"]
    # the pack renders every Release from the chart cache (helm-releases-rendered is mandatory in every config)
    runs = [step.get("run", "") for step in job["steps"]]
    assert runs.index("make charts") < job["steps"].index(pulumi)


def test_nightly_evidence_checks_deployed_state_keeps_the_bundle_and_reports_failures() -> None:
    workflow = _load("nightly-evidence.yml")
    assert "schedule" in workflow["on"] and workflow["on"]["schedule"][0]["cron"]
    job = workflow["jobs"]["evidence"]
    assert job["strategy"]["matrix"]["stack"] == ["dev", "staging", "prod"]
    steps = job["steps"]
    gate = next(step for step in steps if step.get("id") == "gate")
    assert "PULUMI_ACCESS_TOKEN" in gate["run"]
    # Every step after the gate runs only where the secrets exist.
    assert all("steps.gate.outputs.available == 'true'" in step.get("if", "") for step in steps[1:])
    evidence = next(step for step in steps if step.get("id") == "evidence")
    assert "pulumi stack export" in evidence["run"] and "--state" in evidence["run"] and "--evidence" in evidence["run"]
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"] == "evidence-${{ matrix.stack }}/"
    issue = next(step for step in steps if "gh issue" in step.get("run", ""))
    assert "steps.evidence.outputs.exit-code != '0'" in issue["if"]
    assert "gh issue comment" in issue["run"] and "gh issue create" in issue["run"]
    assert job["permissions"]["issues"] == "write"


def test_the_chart_tests_run_in_ci_with_the_charts_fetched_and_required() -> None:
    """`make test` skips the tests that need the upstream charts (never committed); the charts job fetches them and
    makes a missing chart a failure, so those tests run on every pull request."""
    job = _load("preflight.yml")["jobs"]["charts"]
    assert "secrets." not in yaml.safe_dump(job)  # runs on pull requests from forks too
    assert job["env"][CHARTS_REQUIRED_ENV]
    runs = [step.get("run", "") for step in job["steps"]]
    fetch = runs.index("make charts")
    [test] = [i for i, run in enumerate(runs) if "pytest" in run]
    assert fetch < test
    for path in ("tests/system/test_rendered_charts.py", "tests/system/test_eck_custom_resources.py"):
        assert path in runs[test] and (WORKFLOWS.parents[1] / path).is_file()
