"""The idiom corpus: small programs written the way real programs are (tests/system/corpus/<name>/), each reaching the
verdict its flaws deserve through the real CLI, and the same verdict and the same JSON report run after run.

Per program, the verdict its flaws deserve under the logmesh-soc2 pack with its defaults (a project other than
logmesh gets no environment config): generic SOC 2 controls judge every resource (TLS-only bucket policies, access
logging, public access, key policies, key deletion protection, credentials in plain text); the log-store controls
(retention, versioning, customer-managed keys) judge only log stores, and none of these programs marks or feeds one;
the collector and gap-alert control needs a log platform in the stack. AWS's defaults count: a bucket the program
leaves unconfigured gets SSE-S3, Block Public Access and ACLs disabled. The EXPECTED table below holds each program's
exit code, the mandatory findings its flaws deserve and the checks it must pass, with the reasons in comments.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from preflight.cli import _parser
from preflight.report.formats import render
from preflight.worker import check

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"
PACK = ROOT / "policies"
# Determinism is checked where it broke: the program that passes resources as inputs and exports their outputs (the
# event-loop race made its exit code flip in about half the runs) is run 10 times in this process and twice through
# the CLI; every other program twice in this process (a second run proves no state carries over from the first) and
# once through the CLI with a random hash seed (a set or dict order leaking into the report shows there). Ten runs of
# each cost minutes and proved nothing more: the race is fixed at its root and checked 20 times in one process and in
# fresh processes by tests/preflight/record/test_event_loop.py.
RACE_PROGRAM = "outputs-as-inputs"
RUNS = {RACE_PROGRAM: 10}
SUBPROCESS_RUNS = {RACE_PROGRAM: 2}


@dataclass(frozen=True)
class Verdict:
    exit_code: int
    flagged: set[tuple[str, str]] = field(default_factory=set)  # (policy, resource name): mandatory violations
    passes: set[tuple[str, str]] = field(default_factory=set)  # (policy, resource name) that must not be flagged
    stand_ins: set[tuple[str, str]] = field(default_factory=set)  # (kind, subject or the resource name of its URN)


EXPECTED = {
    # Generic SOC 2 controls judge every resource; the log-store controls (retention, versioning, customer-managed
    # keys) only log stores, and none of these programs marks or feeds one (docs/policy-pack.md, scope).
    "kms-policy-document": Verdict(
        1,
        flagged={("aws-kms-key-policy-not-public", "open"), ("key-deletion-protected", "open")},
        passes={("aws-kms-key-policy-not-public", "scoped")},
    ),
    "outputs-as-inputs": Verdict(
        1,
        flagged={("s3-server-access-logging", "data"), ("key-deletion-protected", "data")},
        passes={("s3-secure-transport-only", "data"), ("s3-default-encryption-kms", "data"), ("s3-versioning-enabled", "data")},
    ),
    "stack-reference": Verdict(
        1,
        flagged={("s3-secure-transport-only", "app-logs"), ("s3-server-access-logging", "app-logs")},
        # AWS applies SSE-S3 and Block Public Access to a bucket the program leaves unconfigured
        passes={("s3-public-access-block", "app-logs"), ("s3-versioning-enabled", "app-logs")},
        stand_ins={("stack-reference", "acme/network/dev")},
    ),
    "bucketv2-classes": Verdict(
        1,
        # a public-read ACL fails; SSE-S3 (AES256) meets SOC 2 (a customer-managed key is logmesh's baseline)
        flagged={("s3-acls-disabled", "public"), ("s3-secure-transport-only", "public"), ("s3-lifecycle-expiration", "logs")},
        passes={("s3-default-encryption-kms", "public"), ("s3-public-access-block", "logs"), ("s3-versioning-enabled", "logs")},
    ),
    "eks-helm": Verdict(
        0,
        # an app cluster in a stack with no log platform: out of scope of the collector and gap-alert control
        passes={("collector-and-gap-alert", "apps")},
        stand_ins={("invoke", "aws:index/getAvailabilityZones:getAvailabilityZones"), ("output", "apps")},
    ),
    "gke-helm": Verdict(
        1,
        flagged={
            ("no-plaintext-credentials", "grafana"),
            ("no-plaintext-credentials", "app-config"),
            ("logging-namespaces-pod-security", "grafana"),
        },
        passes={("collector-and-gap-alert", "apps")},
        stand_ins={("output", "apps")},
    ),
    "lookups": Verdict(
        0,
        stand_ins={
            ("invoke", "aws:ec2/getAmi:getAmi"),
            ("invoke", "aws:route53/getZone:getZone"),
            ("invoke", "aws:index/getAvailabilityZones:getAvailabilityZones"),
        },
    ),
    "component-library": Verdict(
        1,
        flagged={("s3-secure-transport-only", "scratch"), ("s3-server-access-logging", "scratch"), ("key-deletion-protected", "scratch")},
        passes={("s3-default-encryption-kms", "audit"), ("s3-versioning-enabled", "audit")},
    ),
}


def test_every_corpus_program_has_a_verdict() -> None:
    programs = {p.name for p in CORPUS.iterdir() if (p / "Pulumi.yaml").is_file()}
    assert programs == set(EXPECTED)
    for name in programs:
        assert {"Pulumi.yaml", "__main__.py", "Pulumi.dev.yaml"} <= {f.name for f in (CORPUS / name).iterdir()}


def _in_process(directory: Path) -> tuple[int, str]:
    """What `python -m preflight --project-dir DIR --stack dev --format json` does, in this process (the worker's run)."""
    args = _parser().parse_args(["--project-dir", str(directory), "--stack", "dev", "--format", "json"])
    evidence = check(args).evidence
    out = io.StringIO()
    render(evidence, "json", out)
    return (1 if evidence.mandatory else 0), out.getvalue()


def _cli(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight", "--project-dir", str(directory), "--stack", "dev", "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "PYTHONHASHSEED": "random"},
    )


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _check_verdict(name: str, code: int, report: dict[str, Any]) -> None:
    expected = EXPECTED[name]
    mandatory = {(v["policy"], _name(v["urn"])) for v in report["violations"] if v["enforcement"] == "mandatory"}
    assert code == expected.exit_code, sorted(mandatory)
    assert expected.flagged <= mandatory, sorted(expected.flagged - mandatory)
    flagged_at_all = {(v["policy"], _name(v["urn"])) for v in report["violations"]}
    assert not expected.passes & flagged_at_all, sorted(expected.passes & flagged_at_all)
    stood_in = {(s["kind"], s["subject"]) for s in report["stand_ins"]} | {(s["kind"], _name(s["subject"])) for s in report["stand_ins"]}
    assert expected.stand_ins <= stood_in, sorted(expected.stand_ins - stood_in)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_program_verdict_through_the_cli_is_deterministic(name: str) -> None:
    directory = CORPUS / name
    runs = [_in_process(directory) for _ in range(RUNS.get(name, 2))]
    assert len(set(runs)) == 1, f"{name}: {len(set(runs))} different results in {len(runs)} runs"
    code, report = runs[0]
    _check_verdict(name, code, json.loads(report))
    for _ in range(SUBPROCESS_RUNS.get(name, 1)):
        result = _cli(directory)
        assert result.returncode in (0, 1), result.stderr[-2000:]
        assert "Traceback" not in result.stderr
        assert (result.returncode, result.stdout) == (code, report)
