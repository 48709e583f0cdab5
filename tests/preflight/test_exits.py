"""The exit contract through the real CLI (`python -m preflight` in a subprocess): 0 no mandatory violation, 1 mandatory
violations, 2 anything else, with one `preflight: ...` line on stderr and no traceback, whatever the program or the
pack does to the process running them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.preflight.conftest import ROOT, SMALL_PACK, write_pack, write_project

BUCKET = "import pulumi_aws as aws\naws.s3.Bucket('b')\n"


def preflight(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight", *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=timeout, check=False
    )


def assert_exit_2(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    last = result.stderr.rstrip("\n").splitlines()[-1]
    assert last.startswith("preflight: "), result.stderr
    for fragment in fragments:
        assert fragment in last, last


@pytest.mark.parametrize(
    ("ending", "fragment"),
    [
        ("import os\nos._exit(0)\n", "exited with code 0"),
        ("import os\nos._exit(3)\n", "exited with code 3"),
        ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", "was killed by SIGKILL"),
        ("import ctypes\nctypes.string_at(0)\n", "was killed by SIGSEGV"),
    ],
    ids=["os._exit(0)", "os._exit(3)", "SIGKILL", "segfault"],
)
def test_a_program_that_ends_the_process_is_exit_2(tmp_path: Path, ending: str, fragment: str) -> None:
    project = write_project(tmp_path / "ends", BUCKET + ending)
    pack = write_pack(tmp_path / "pack")
    assert_exit_2(preflight("--project-dir", project, "--policy-pack", pack), "the program", fragment, "a verdict needs a complete run")


def test_a_pack_that_calls_os_exit_is_exit_2(tmp_path: Path) -> None:
    pack = write_pack(
        tmp_path / "exiting-pack",
        "import os\nfrom pulumi_policy import PolicyPack, ResourceValidationPolicy\n"
        "def check(args, report):\n    os._exit(0)\n"
        "PolicyPack('exiting', policies=[ResourceValidationPolicy(name='x', description='d', validate=check)])\n",
    )
    project = write_project(tmp_path / "p", BUCKET)
    assert_exit_2(preflight("--project-dir", project, "--policy-pack", pack), "the policy pack", "exited with code 0")


def test_a_program_that_loops_is_stopped_by_the_timeout(tmp_path: Path) -> None:
    project = write_project(tmp_path / "loops", BUCKET + "while True:\n    pass\n")
    started = time.monotonic()
    result = preflight("--project-dir", project, "--policy-pack", write_pack(tmp_path / "pack"), "--timeout", "3")
    assert_exit_2(result, "--timeout 3:", "did not finish within 3 s")
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("exception", ["KeyboardInterrupt", "GeneratorExit", "type('Halt', (BaseException,), {})"])
def test_a_base_exception_from_the_program_is_exit_2(tmp_path: Path, exception: str) -> None:
    project = write_project(tmp_path / "raises", BUCKET + f"raise {exception}()\n")
    assert_exit_2(preflight("--project-dir", project, "--policy-pack", write_pack(tmp_path / "pack")), "the program", "before it finished")


def test_debug_keeps_exit_2_and_adds_the_traceback(tmp_path: Path) -> None:
    project = write_project(tmp_path / "raises", BUCKET + "raise ValueError('region must be set')\n")
    result = preflight("--project-dir", project, "--policy-pack", write_pack(tmp_path / "pack"), "--debug")
    assert result.returncode == 2 and result.stdout == ""
    assert "Traceback (most recent call last)" in result.stderr and "ValueError: region must be set" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("preflight: the program")


def test_stdout_holds_only_the_report(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "chatty",
        "import pulumi\nprint('hello from the program')\npulumi.log.warn('a log line')\n" + BUCKET + "print('done')\n",
    )
    result = preflight("--project-dir", project, "--policy-pack", write_pack(tmp_path / "pack", SMALL_PACK), "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)  # the whole of stdout is the report
    assert report["summary"]["resources"] == 1
    assert "hello from the program" in result.stderr and "done" in result.stderr and "a log line" in result.stderr


def test_non_utf8_stack_file_is_one_line(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", BUCKET)
    (project / "Pulumi.dev.yaml").write_bytes(b"config:\n  outside:name: caf\xe9\n")
    result = preflight("--project-dir", project, "--policy-pack", write_pack(tmp_path / "pack"))
    assert_exit_2(result, "Pulumi.dev.yaml", "line 2", "is not UTF-8: byte 0xe9")


def test_the_parent_imports_no_provider_sdk() -> None:
    """The CLI process stays light: the program's imports happen in the worker."""
    code = "import sys, preflight.cli; print(sorted(m for m in sys.modules if m.startswith(('pulumi', 'grpc'))))"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True, env=os.environ)
    assert completed.stdout.strip() == "[]"
