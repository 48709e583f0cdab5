"""Fixtures for preflight's tests: small programs and policy packs written to temporary folders.

`pack_dir` is the repository's own pack (policies/) once it exists; until then a small pack written here with
the same conventions (SOC 2 criteria in framework.reference, remediation steps, an `approved-exceptions` policy).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from preflight.cli import main

ROOT = Path(__file__).resolve().parents[2]
REAL_PACK = ROOT / "policies"

SMALL_PACK = """
import json

from pulumi_policy import (EnforcementLevel, PolicyComplianceFramework, PolicyConfigSchema, PolicyPack,
                           ResourceValidationPolicy, Severity, StackValidationPolicy)

EXCEPTIONS = {"type": "array", "default": []}
RECORDED = []


def guarded(name, check):
    def validate(args, report_violation):
        for message in check(args):
            match = next((e for e in args.get_config().get("exceptions", []) if e["resource"] == args.name), None)
            if match is None:
                report_violation(message)
            else:
                RECORDED.append({"policy": name, "urn": args.urn, "reason": match["reason"],
                                 "approved_by": match["approved_by"], "expires": match["expires"], "message": message})
    return validate


def unencrypted(args):
    if args.resource_type == "aws:s3/bucket:Bucket" and not args.props.get("serverSideEncryptionConfiguration"):
        yield "the bucket has no default encryption"


def public_acl(args):
    if args.resource_type == "aws:s3/bucket:Bucket" and args.props.get("acl") in ("public-read", "public-read-write"):
        yield f"acl is {args.props['acl']}"


def tags_echo(args):
    # Quotes every tag value, as a careless policy might: reports must still never show a secret.
    tags = args.props.get("tags")
    # A ciphertext secret in a state export arrives as a placeholder string: nothing to read.
    for key, value in (tags.items() if hasattr(tags, "items") else []):
        if key == "owner-token":
            yield f"tag {key} = {value}"


def approved(args, report_violation):
    while RECORDED:
        entry = RECORDED.pop(0)
        report_violation("exception: " + json.dumps(entry, sort_keys=True), entry["urn"])


def soc2(reference):
    return PolicyComplianceFramework(name="SOC 2", version="2017", reference=reference)


PolicyPack(
    "small-soc2",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(
            name="s3-bucket-encrypted", description="S3 buckets are encrypted at rest with KMS",
            validate=guarded("s3-bucket-encrypted", unencrypted), severity=Severity.HIGH, framework=soc2("CC6.1, PI1.4"),
            remediation_steps="Add a server-side encryption configuration with aws:kms.",
            config_schema=PolicyConfigSchema(properties={"exceptions": EXCEPTIONS}),
        ),
        ResourceValidationPolicy(
            name="s3-no-public-acl", description="S3 buckets have no public ACL",
            validate=guarded("s3-no-public-acl", public_acl), severity=Severity.CRITICAL, framework=soc2("CC6.1, CC6.6"),
            remediation_steps="Remove the public ACL; use BucketOwnerEnforced ownership.",
            config_schema=PolicyConfigSchema(properties={"exceptions": EXCEPTIONS}),
        ),
        ResourceValidationPolicy(
            name="no-token-tags", description="Tokens are not kept in tags", validate=guarded("no-token-tags", tags_echo),
            enforcement_level=EnforcementLevel.ADVISORY, severity=Severity.MEDIUM, tags=["CC6.7"],
            remediation_steps="Keep tokens in a secret store.",
            config_schema=PolicyConfigSchema(properties={"exceptions": EXCEPTIONS}),
        ),
        StackValidationPolicy(
            name="approved-exceptions", description="Approved exceptions in force", validate=approved,
            enforcement_level=EnforcementLevel.ADVISORY, severity=Severity.LOW,
            remediation_steps="Review each exception before it expires.",
        ),
    ],
)
"""

# A program outside the repository with flaws every SOC 2 pack must find: an S3 bucket without encryption,
# a public one, secrets in tags. Line numbers matter: the SARIF test checks them.
S3_PROGRAM = """\
import pulumi
import pulumi_aws as aws
import pulumi_random as random

token = random.RandomPassword("token", length=24, special=False)
plain = aws.s3.Bucket("plain", bucket="acme-plain-logs", tags={"owner-token": pulumi.Output.secret("tok-7f3a9c1e5b")})
site = aws.s3.Bucket(
    "site",
    bucket="acme-site",
    acl="public-read",
    server_side_encryption_configuration={"rule": {"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms"}}},
    tags={"owner-token": token.result},
)
policy = aws.s3.BucketPolicy("plain-policy", bucket=plain.id, policy=plain.arn.apply(lambda a: '{"Statement": []}'))
pulumi.export("bucket", plain.bucket)
"""
PLAIN_BUCKET_LINE = 6
PLAIN_URN = "urn:pulumi:dev::outside::aws:s3/bucket:Bucket::plain"
SITE_URN = "urn:pulumi:dev::outside::aws:s3/bucket:Bucket::site"
SECRET_TAG = "tok-7f3a9c1e5b"


def write_project(directory: Path, program: str, name: str = "outside", stack_config: str | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n", encoding="utf-8")
    (directory / "__main__.py").write_text(program, encoding="utf-8")
    if stack_config is not None:
        (directory / "Pulumi.dev.yaml").write_text(textwrap.dedent(stack_config), encoding="utf-8")
    return directory


def write_pack(directory: Path, source: str = SMALL_PACK) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.3.0\n", encoding="utf-8")
    (directory / "__main__.py").write_text(source, encoding="utf-8")
    return directory


@pytest.fixture
def small_pack(tmp_path: Path) -> Path:
    return write_pack(tmp_path / "small-pack")


@pytest.fixture
def pack_dir() -> Path:
    """The logmesh-soc2 pack of this repository."""
    return REAL_PACK


@pytest.fixture
def s3_project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "outside", S3_PROGRAM)


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self) -> dict:  # type: ignore[type-arg]
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Runs `python -m preflight ARGS` in this process; returns exit code, stdout and stderr."""

    def run(*args: str | Path) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture(autouse=True)
def no_chart_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite never renders from a developer's own `.charts/`: tests that render pass --chart-cache."""
    monkeypatch.setenv("PREFLIGHT_CHART_CACHE", str(tmp_path_factory.getbasetemp() / "no-chart-cache"))
