"""The idiom corpus: small programs written the way real programs are (tests/system/corpus/<name>/), each reaching the
verdict its flaws deserve through the real CLI, and the same verdict and the same JSON report run after run.

Per program, the verdict its flaws deserve under the logmesh-soc2 pack (a SOC 2 pack for log aggregation: every S3
bucket is judged as a log store, every cluster must ship its logs):

- kms-policy-document: exit 1. The "open" key's policy, written with aws.iam.get_policy_document, grants kms:* to "*"
  (aws-kms-key-policy-not-public); the "scoped" key grants only the account root and passes.
- outputs-as-inputs: exit 1. The bucket is encrypted with the key passed in, versioned, blocks public access and denies
  insecure transport through a policy built with get_policy_document_output from its own ARN (so
  s3-secure-transport-only and s3-default-encryption-kms pass); it lacks ownership controls (s3-acls-disabled), a
  lifecycle rule and access logging, which this pack requires of a log store.
- stack-reference: exit 1. Network values come from the referenced stack (stand-ins, listed); the log bucket is bare:
  no KMS encryption, no public access block, no versioning.
- bucketv2-classes: exit 1. The deprecated V2 side resources are read like the current ones: the "public" bucket has a
  public-read ACL, AES256 instead of KMS and no versioning; the "logs" bucket's KMS encryption and versioning pass.
- eks-helm: exit 1. The cluster, its kubeconfig from computed outputs and the Helm release through a provider built
  from it all resolve; the cluster ships no logs and nothing alerts on an ingestion gap (collector-and-gap-alert).
- gke-helm: exit 1. As eks-helm, and the Helm values set the Grafana admin password as a literal env value and a
  ConfigMap holds a database password in plain text (no-plaintext-credentials on both).
- lookups: exit 0. AMI, availability-zone and DNS-zone lookups feed an instance and a record; nothing the pack judges.
- component-library: exit 1. The acme_storage.LogBucket component, imported from the project's own package: the
  "scratch" bucket is built with AES256 and without versioning (s3-default-encryption-kms, s3-versioning-enabled);
  the "audit" bucket's encryption and versioning pass.
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

from preflight.analyze.config import load_policy_config, resolve_config
from preflight.analyze.pack import load_policy_pack
from preflight.analyze.servicer import Analyzer
from preflight.cli import render
from preflight.record.program import record_program
from preflight.record.project import load_project, load_stack_config
from preflight.report.evidence import build_evidence

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"
PACK = ROOT / "policies"
RUNS = 10
SUBPROCESS_RUNS = 2


@dataclass(frozen=True)
class Verdict:
    exit_code: int
    flagged: set[tuple[str, str]] = field(default_factory=set)  # (policy, resource name): mandatory violations
    passes: set[tuple[str, str]] = field(default_factory=set)  # (policy, resource name) that must not be flagged
    stand_ins: set[tuple[str, str]] = field(default_factory=set)  # (kind, subject or the resource name of its URN)


EXPECTED = {
    "kms-policy-document": Verdict(
        1, flagged={("aws-kms-key-policy-not-public", "open")}, passes={("aws-kms-key-policy-not-public", "scoped")}
    ),
    "outputs-as-inputs": Verdict(
        1,
        flagged={("s3-acls-disabled", "data"), ("s3-lifecycle-expiration", "data"), ("s3-server-access-logging", "data")},
        passes={("s3-secure-transport-only", "data"), ("s3-default-encryption-kms", "data"), ("s3-versioning-enabled", "data")},
    ),
    "stack-reference": Verdict(
        1,
        flagged={
            ("s3-default-encryption-kms", "app-logs"),
            ("s3-public-access-block", "app-logs"),
            ("s3-versioning-enabled", "app-logs"),
        },
        stand_ins={("stack-reference", "acme/network/dev")},
    ),
    "bucketv2-classes": Verdict(
        1,
        flagged={
            ("s3-acls-disabled", "public"),
            ("s3-default-encryption-kms", "public"),
            ("s3-public-access-block", "public"),
            ("s3-versioning-enabled", "public"),
        },
        passes={("s3-default-encryption-kms", "logs"), ("s3-versioning-enabled", "logs"), ("s3-public-access-block", "logs")},
    ),
    "eks-helm": Verdict(
        1,
        flagged={("collector-and-gap-alert", "apps")},
        stand_ins={("invoke", "aws:index/getAvailabilityZones:getAvailabilityZones"), ("output", "apps")},
    ),
    "gke-helm": Verdict(
        1,
        flagged={("collector-and-gap-alert", "apps"), ("no-plaintext-credentials", "grafana"), ("no-plaintext-credentials", "app-config")},
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
        flagged={("s3-default-encryption-kms", "scratch"), ("s3-versioning-enabled", "scratch")},
        passes={("s3-default-encryption-kms", "audit"), ("s3-versioning-enabled", "audit")},
    ),
}


def test_every_corpus_program_has_a_verdict() -> None:
    programs = {p.name for p in CORPUS.iterdir() if (p / "Pulumi.yaml").is_file()}
    assert programs == set(EXPECTED)
    for name in programs:
        assert {"Pulumi.yaml", "__main__.py", "Pulumi.dev.yaml"} <= {f.name for f in (CORPUS / name).iterdir()}


def _in_process(directory: Path) -> tuple[int, str]:
    """What `python -m preflight --project-dir DIR --stack dev --format json` does, in this process."""
    project = load_project(directory)
    config = load_stack_config(project, "dev")
    recording = record_program(project.main, project.name, "dev", config.values, config.secret_keys)
    pack = load_policy_pack(PACK)
    analysis = Analyzer(pack, resolve_config(pack, load_policy_config(PACK / "config" / "dev.json"))).analyze(recording)
    evidence = build_evidence(recording, analysis, directory)
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
    runs = [_in_process(directory) for _ in range(RUNS)]
    assert len(set(runs)) == 1, f"{name}: {len(set(runs))} different results in {RUNS} runs"
    code, report = runs[0]
    _check_verdict(name, code, json.loads(report))
    for _ in range(SUBPROCESS_RUNS):
        result = _cli(directory)
        assert result.returncode in (0, 1), result.stderr[-2000:]
        assert "Traceback" not in result.stderr
        assert (result.returncode, result.stdout) == (code, report)
