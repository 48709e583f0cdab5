"""One program, one recording: a resource passed as another's input (a resource reference) must not make the SDK's
mock monitor rebuild a Resource on a pool thread's own event loop (`... attached to a different loop`, or a hang)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
RUNS, PROCESSES, TIMEOUT = 20, 5, 60  # before the fix about half the runs failed and some hung
PROGRAM = """
import pulumi
import pulumi_aws as aws

class Store(pulumi.ComponentResource):
    def __init__(self, name, bucket, opts=None):
        super().__init__("race:index:Store", name, {"bucket": bucket}, opts)
        self.policy = aws.s3.BucketPolicy(f"{name}-policy", bucket=bucket.id, policy="{}", opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"policy": self.policy.id})

bucket = aws.s3.Bucket("logs")
aws.s3.BucketPolicy("logs-policy", bucket=bucket, policy="{}")  # the resource itself: a resource reference
store = Store("archive", bucket)
pulumi.export("bucket", bucket.arn)
pulumi.export("nested", {"policy": store.policy.id, "ids": [bucket.id, store.policy.bucket]})
"""
EXPORTS = {"bucket": "arn:aws:s3:::logs", "nested": {"policy": "logs", "ids": ["logs", "logs"]}}
# N recordings in one process, one JSON line each: the recording or error, what the mocks got for `bucket`, tasks made
# on a loop other than the program's, tasks left pending on the program's loop.
IN_ONE_PROCESS = textwrap.dedent("""
    import asyncio, json, sys
    from pathlib import Path
    import pulumi
    from pulumi.runtime.sync_await import _ensure_event_loop
    from preflight.record.mocks import RealisticMocks
    from preflight.record.program import record_program
    loop, given, new_resource = _ensure_event_loop(), {}, RealisticMocks.new_resource
    def spy(self, args):
        if "bucket" in args.inputs:
            v = args.inputs["bucket"]
            given[args.name] = f"Resource {v._name}" if isinstance(v, pulumi.Resource) else v
        return new_resource(self, args)
    RealisticMocks.new_resource = spy
    for _ in range(int(sys.argv[2])):
        given.clear()
        try:
            r = record_program(Path(sys.argv[1]), "race", "dev", {})
            out = {"exports": r.stack_outputs, "resources": [[x.urn, x.parent, x.inputs, x.outputs] for x in r.resources]}
        except Exception as exc:
            out = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        tasks = list(asyncio.tasks._all_tasks)
        out["foreign"] = [repr(t)[:200] for t in tasks if t.get_loop() is not loop]
        out["pending"] = [repr(t)[:200] for t in tasks if t.get_loop() is loop and not t.done()]
        print(json.dumps(dict(out, given=given), sort_keys=True), flush=True)
""")


@pytest.fixture
def program(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: race\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text(PROGRAM)
    return tmp_path


def _child(args: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{'recording' if args[1] == '-c' else 'python -m preflight'} hung {TIMEOUT} s; printed: {exc.stdout!r}")


def _in_one_process(program: Path, runs: int) -> list[dict]:
    done = _child([sys.executable, "-c", IN_ONE_PROCESS, str(program), str(runs)])
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == runs, done.stderr[-2000:]
    return results


def test_no_future_is_made_on_a_loop_other_than_the_programs(program: Path) -> None:
    """Deterministic: before the fix every resource reference was rebuilt into a Resource on a pool thread's loop."""
    (result,) = _in_one_process(program, 1)
    assert result["given"] == {"logs-policy": "logs", "archive": "logs", "archive-policy": "logs"}
    assert result["foreign"] == [] and "error" not in result, result
    assert result["exports"] == EXPORTS
    assert result["pending"] == [], "the run left tasks pending on the program's loop"
    policy = next(inputs for urn, _, inputs, _ in result["resources"] if urn.endswith("::logs-policy"))
    assert policy["bucket"]["urn"].endswith("aws:s3/bucket:Bucket::logs")  # recorded as sent: a resource reference


def test_twenty_recordings_in_one_process_are_identical(program: Path) -> None:
    results = _in_one_process(program, RUNS)
    errors = [r["error"] for r in results if "error" in r]
    assert not errors, f"{len(errors)}/{RUNS} runs failed: {errors[0]}"
    assert all(r == results[0] for r in results) and results[0]["exports"] == EXPORTS and results[0]["pending"] == []


def test_fresh_processes_give_one_exit_code_and_one_report(program: Path) -> None:
    runs = [
        _child([sys.executable, "-m", "preflight", "--project-dir", str(program), "--stack", "dev", "--format", "json"])
        for _ in range(PROCESSES)
    ]
    assert [r.returncode for r in runs] == [1] * PROCESSES, next(r.stderr[-500:] for r in runs if r.returncode != 1)
    assert len({r.stdout for r in runs}) == 1
    assert {r["name"] for r in json.loads(runs[0].stdout)["resources"]} == {"logs", "logs-policy", "archive", "archive-policy"}
