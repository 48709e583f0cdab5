"""Fuzzed input files through the CLI: every run of a mutated state export, stack file or policy config ends 0, 1 or 2,
with one `preflight: ...` line and no traceback on 2, in bounded time. Most examples drive the CLI's entry point in this
process (each run still in its own worker process); a few go through `python -m preflight`."""

from __future__ import annotations

import contextlib
import io
import random
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from preflight.cli import main
from tests.helpers.mutations import mutate, mutations
from tests.preflight.conftest import ROOT, S3_PROGRAM, write_pack, write_project

STATE = ROOT / "tests" / "preflight" / "record" / "fixtures" / "outside-dev.export.json"
STACK = ROOT / "stacks" / "Pulumi.prod.yaml"
POLICY_CONFIG = ROOT / "policies" / "config" / "prod.json"
FUZZ = settings(
    max_examples=12, deadline=timedelta(seconds=120), database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(an outside project, the small pack), written once for every example."""
    folder = tmp_path_factory.mktemp("fuzz-cli")
    return write_project(folder / "project", S3_PROGRAM), write_pack(folder / "pack")


def assert_contract(code: int, err: str) -> None:
    assert code in (0, 1, 2), code
    assert "Traceback" not in err, err
    if code == 2:
        lines = err.rstrip("\n").splitlines()
        assert lines and lines[-1].startswith("preflight: ") and "internal error" not in lines[-1], err


def run_cli(*args: str | Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    assert time.monotonic() - started < 60
    assert_contract(code, err.getvalue())


@FUZZ
@given(mutations)
def test_mutated_state_export(workspace: tuple[Path, Path], ops: list[tuple[str, int, int, bytes]]) -> None:
    project, pack = workspace
    path = project.parent / "export.json"
    path.write_bytes(mutate(STATE.read_bytes(), ops))
    run_cli("--state", path, "--project-dir", project, "--policy-pack", pack, "--format", "sarif")


@FUZZ
@given(mutations)
def test_mutated_stack_file(workspace: tuple[Path, Path], ops: list[tuple[str, int, int, bytes]]) -> None:
    project, pack = workspace
    (project / "Pulumi.dev.yaml").write_bytes(mutate(STACK.read_bytes(), ops))
    run_cli("--project-dir", project, "--policy-pack", pack, "--format", "json")


@FUZZ
@given(mutations)
def test_mutated_policy_config(workspace: tuple[Path, Path], ops: list[tuple[str, int, int, bytes]]) -> None:
    project, _ = workspace
    (project / "Pulumi.dev.yaml").unlink(missing_ok=True)
    path = project.parent / "policy-config.json"
    path.write_bytes(mutate(POLICY_CONFIG.read_bytes(), ops))
    run_cli("--state", STATE, "--policy-pack", ROOT / "policies", "--policy-config", path)


def test_a_few_mutations_through_the_real_cli(workspace: tuple[Path, Path]) -> None:
    project, pack = workspace
    chooser = random.Random(13)
    tokens = [b"&a [*a]", b"\xff", b"\x00", b"[" * 300, b'"parent": "urn:pulumi:dev::outside::x::y", ']
    for source, flag in ((STATE, "--state"), (STACK, "stack"), (POLICY_CONFIG, "--policy-config")):
        data = source.read_bytes()
        at = chooser.randrange(len(data))
        path = project.parent / f"mutated-{source.name}"
        path.write_bytes(data[:at] + chooser.choice(tokens) + data[at:])
        if flag == "stack":
            (project / "Pulumi.dev.yaml").write_bytes(path.read_bytes())
            args = ["--project-dir", project, "--policy-pack", pack]
        elif flag == "--state":
            args = ["--state", path, "--policy-pack", pack]
        else:
            args = ["--state", STATE, "--policy-pack", ROOT / "policies", "--policy-config", path]
        completed = subprocess.run(
            [sys.executable, "-m", "preflight", *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
        )
        assert_contract(completed.returncode, completed.stderr)
