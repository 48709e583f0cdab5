"""`python -m preflight`: check a Pulumi Python program (or a stack export) against a policy pack, offline.

record (the program under the SDK's mocks, or a `pulumi stack export` file) -> analyze (the pack through
pulumi_policy's own analyzer) -> report (text, markdown, json or sarif).

Exit codes: 0 no mandatory violation; 1 mandatory violations; 2 anything else (usage, stack config, program, policy
pack, state or report error, a run that ended early or timed out, nothing to check), always one message and no
traceback unless --debug.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from preflight.errors import InputError
from preflight.report import FORMATS

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from preflight.worker import Outcome

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STACK = "dev"
# Below this many resources a run takes about a second: no progress bar.
PROGRESS_THRESHOLD = 200
# The 500-cluster bench fleet (8,244 resources) takes about 35 s on 2 cores (docs/performance.md): 600 s is over 15
# times that, so only a program that hangs or loops reaches it, and a CI job fails in minutes rather than at the
# runner's limit (6 hours on GitHub Actions).
DEFAULT_TIMEOUT = 600.0
# Modules the worker's forkserver imports once; each run is a fresh fork of it. Tests add provider SDKs here.
PRELOAD = ["preflight.worker"]


class Failure(Exception):
    """The run gave no verdict: exit code 2 with this one-line message (and `details`, a traceback, with --debug)."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


def _timeout(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < 1e9:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return seconds


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m preflight", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project-dir", type=Path, default=REPO_ROOT, help="the Pulumi project (default: this repository)")
    parser.add_argument("--stack", help=f"stack name (default: {DEFAULT_STACK}; with --state, the export's stack)")
    parser.add_argument("--policy-pack", type=Path, default=REPO_ROOT / "policies", help="policy pack folder (default: policies/)")
    parser.add_argument(
        "--policy-config",
        type=Path,
        help="policy pack config JSON (default for the project that holds the pack: <policy pack>/config/<stack>.json when it "
        "exists; other projects: the pack's defaults)",
    )
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--output", type=Path, help="write the report to FILE instead of standard output")
    parser.add_argument(
        "--state", type=Path, metavar="EXPORT.json", help="check a `pulumi stack export` file instead of running the program"
    )
    parser.add_argument("--preview", action="store_true", help="run as a preview: computed outputs are unknown")
    parser.add_argument(
        "--timeout",
        type=_timeout,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"stop a run (program and pack) that takes longer, exit 2 (default: {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument("--allow-empty", action="store_true", help="a program or export with no resources passes (default: exit 2)")
    parser.add_argument(
        "--stack-reference",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="outputs of the stack a StackReference names: a JSON object of outputs or a `pulumi stack export` (repeatable)",
    )
    parser.add_argument(
        "--chart-cache",
        type=Path,
        help="chart archives the Helm releases render from (default: <project>/.charts; `python -m preflight charts`)",
    )
    # Evidence (docs/preflight.md#evidence-bundles)
    parser.add_argument(
        "--evidence", type=Path, metavar="DIR", help="write every format, MANIFEST.sha256 and (PREFLIGHT_SIGNING_KEY) its signature to DIR"
    )
    parser.add_argument(
        "--now", metavar="ISO8601", help="the report's time (default: SOURCE_DATE_EPOCH, else the clock), for reproducible reports"
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks (exit codes stay the same)")
    return parser


# --- the worker process ---------------------------------------------------------------------------------------------


def _serve(connection: Connection, args: argparse.Namespace) -> None:
    """The child's target, by a name this light module holds; the forkserver has preflight.worker imported already."""
    from preflight.worker import serve

    serve(connection, args)


def _how_it_ended(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        cause = {"SIGKILL": " (out of memory?)", "SIGSEGV": " (a crash in native code)"}.get(name, "")
        return f"was killed by {name}{cause}"
    return f"exited with code {exitcode} (os._exit, or a crash in native code?)"


@contextmanager
def _display(console: Console | None) -> Iterator[Any]:
    """A status line while the program runs and a progress bar for long analyses, on a terminal only."""
    with ExitStack() as stack:
        state: dict[str, Any] = {"status": None, "progress": None, "task": None}

        def update(message: tuple[Any, ...]) -> None:
            if console is None:
                return
            kind = message[0]
            if kind == "stage" and state["progress"] is None:
                if state["status"] is None:
                    state["status"] = stack.enter_context(console.status(f"running {message[1]}"))
                else:
                    state["status"].update(f"running {message[1]}")
            elif kind == "total" and message[1] >= PROGRESS_THRESHOLD:
                if state["status"] is not None:
                    state["status"].stop()
                columns = (TextColumn("analyzing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
                state["progress"] = stack.enter_context(Progress(*columns, console=console, transient=True))
                state["task"] = state["progress"].add_task("analyze", total=message[1])
            elif kind == "advance" and state["progress"] is not None:
                state["progress"].advance(state["task"], message[1])

        yield update


def _await(process: Any, receiver: Connection, args: argparse.Namespace, console: Console | None) -> Outcome:
    deadline = time.monotonic() + args.timeout
    stage = "the run"
    with _display(console) as update:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Failure(
                    f"--timeout {args.timeout:g}: {stage} did not finish within {args.timeout:g} s and was stopped; "
                    "look for a loop or a blocking call, or raise --timeout"
                )
            if not receiver.poll(min(remaining, 1.0)):
                if process.is_alive():
                    continue
                if not receiver.poll(0):
                    break
            try:
                message = receiver.recv()
            except EOFError:
                break
            if message[0] == "done":
                process.join(max(deadline - time.monotonic(), 0))
                if process.is_alive():
                    raise Failure(f"--timeout {args.timeout:g}: the worker did not exit after the run (a thread left running?)")
                if process.exitcode != 0:
                    raise Failure(f"the run finished, then {stage} {_how_it_ended(process.exitcode)}")
                outcome: Outcome = message[1]
                return outcome
            if message[0] == "failed":
                raise Failure(message[1], message[2])
            if message[0] == "stage":
                stage = message[1]
            update(message)
    process.join(5)
    raise Failure(f"{stage} ended the run before it finished: it {_how_it_ended(process.exitcode)}; a verdict needs a complete run")


def run_worker(args: argparse.Namespace, console: Console | None) -> Outcome:
    """The run in a child process (a fork of a forkserver that has the worker's modules imported): its outcome."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_serve, args=(sender, args), name="preflight-worker")
    process.start()
    sender.close()
    import preflight.report.evidence  # noqa: F401  (while the worker runs: the outcome unpickles into its classes)

    try:
        return _await(process, receiver, args, console)
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()


# --- inputs and the report file -------------------------------------------------------------------------------------


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return a.resolve() == b.resolve()


def _known_inputs(args: argparse.Namespace) -> list[Path]:
    """The files this run will read, as far as they are known before it starts."""
    from preflight.record.project import load_project

    stack = args.stack or DEFAULT_STACK
    found = [args.state, args.policy_config, args.project_dir / "Pulumi.yaml", args.policy_pack / "PulumiPolicy.yaml"]
    found += [args.policy_pack / "__main__.py", args.policy_pack / "config" / f"{stack}.json"]
    if args.state is None:
        try:
            project = load_project(args.project_dir)
        except InputError:
            pass  # the worker reports it
        else:
            found += [project.main, project.stack_file(stack)]
    return [path for path in found if path is not None]


def _refuse_output_input(output: Path, inputs: list[Path]) -> None:
    for path in inputs:
        if _same_file(output, path):
            raise InputError(f"--output {output}: is an input of this run ({path}); write the report to another file")


def _write_atomically(output: Path, text: str) -> None:
    """The report whole or not at all: a temporary file beside `output`, renamed over it."""
    try:
        handle, temporary = tempfile.mkstemp(dir=output.parent if str(output.parent) else ".", prefix=f".{output.name}.")
    except OSError as exc:
        raise InputError(f"--output {output}: cannot be written: {exc.strerror}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, output)
    except OSError as exc:
        os.unlink(temporary)
        raise InputError(f"--output {output}: cannot be written: {exc.strerror}") from None
    except BaseException:
        os.unlink(temporary)
        raise


def _remove_stale(output: Path | None, inputs: list[Path]) -> None:
    """A failed run leaves no report at --output: a previous run's would read as this run's verdict."""
    if output is None or any(_same_file(output, path) for path in inputs):
        return
    try:
        if output.is_file() or output.is_symlink():
            output.unlink()
    except OSError:
        pass


def run(args: argparse.Namespace, inputs: list[Path]) -> int:
    if args.output is not None:
        _refuse_output_input(args.output, inputs)
    console = Console(stderr=True) if sys.stderr.isatty() else None
    outcome = run_worker(args, console)
    read = [Path(path) for path in outcome.inputs]
    inputs += read
    if args.output is not None:
        _refuse_output_input(args.output, read)
    evidence = outcome.evidence
    if args.evidence is not None:
        from preflight.report.bundle import write_bundle

        write_bundle(evidence, args.evidence, outcome.fallback)
        print(f"preflight {evidence.project}/{evidence.stack}: {evidence.verdict()} (evidence bundle: {args.evidence})", file=sys.stderr)
        return 1 if evidence.mandatory else 0
    from preflight.report.formats import render

    report = io.StringIO()
    try:
        render(evidence, args.format, report, outcome.fallback)
    except Exception as exc:
        raise Failure(f"the {args.format} report could not be rendered: {type(exc).__name__}: {exc}", traceback.format_exc()) from exc
    if args.output is not None:
        _write_atomically(args.output, report.getvalue())
        print(f"preflight {evidence.project}/{evidence.stack}: {evidence.verdict()} ({args.format} report: {args.output})", file=sys.stderr)
    else:
        sys.stdout.write(report.getvalue())
        sys.stdout.flush()
    return 1 if evidence.mandatory else 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["charts"]:
        from preflight.record.chart_cache import charts_main

        return charts_main(argv[1:], REPO_ROOT)
    args = _parser().parse_args(argv)
    inputs: list[Path] = []
    try:
        inputs += _known_inputs(args)
        return run(args, inputs)
    except BrokenPipeError:
        # The reader (`| head`) closed the pipe: stop quietly, as Unix tools do; the verdict was not delivered.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 2
    except (Exception, KeyboardInterrupt) as exc:  # every other ending is exit 2 with one line
        details = exc.details if isinstance(exc, Failure) else traceback.format_exc()
        if isinstance(exc, KeyboardInterrupt):
            message = "interrupted"
        elif isinstance(exc, (InputError, Failure)):
            message = str(exc)
        else:
            message = f"internal error: {type(exc).__name__}: {exc}"
        _remove_stale(args.output, inputs)
        if args.debug and details:
            print(details.rstrip("\n"), file=sys.stderr)
        print(f"preflight: {message}", file=sys.stderr)
        return 2
