"""`python -m preflight`: check a Pulumi Python program (or a stack export) against a policy pack, offline.

record (the program under the SDK's mocks, or a `pulumi stack export` file) -> analyze (the pack through
pulumi_policy's own analyzer) -> report (text, markdown, json, sarif or ocsf; with --evidence, all of them and a
SHA-256 manifest in one folder).

Exit codes: 0 no mandatory violation; 1 mandatory violations; 2 usage, stack config, program, policy pack or
state error (one message, no traceback unless --debug).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import pulumi
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from preflight.analyze.config import load_policy_config, resolve_config
from preflight.analyze.findings import Analysis
from preflight.analyze.pack import load_policy_pack
from preflight.analyze.servicer import Analyzer
from preflight.errors import InputError
from preflight.record.program import record_program
from preflight.record.project import load_project, load_stack_config
from preflight.record.recording import Recording
from preflight.record.state import load_state
from preflight.report.bundle import write_bundle
from preflight.report.evidence import build_evidence
from preflight.report.formats import FORMATS, render

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STACK = "dev"
# Below this many resources a run takes about a second: no progress bar.
PROGRESS_THRESHOLD = 200


class StageError(Exception):
    """A failure of the program or the policy pack, already worded for the user (exit code 2)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m preflight", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project-dir", type=Path, default=REPO_ROOT, help="the Pulumi project (default: this repository)")
    parser.add_argument("--stack", help=f"stack name (default: {DEFAULT_STACK}; with --state, the export's stack)")
    parser.add_argument("--policy-pack", type=Path, default=REPO_ROOT / "policies", help="policy pack folder (default: policies/)")
    parser.add_argument(
        "--policy-config", type=Path, help="policy pack config JSON (default: <policy pack>/config/<stack>.json when it exists)"
    )
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--output", type=Path, help="write the report to FILE instead of standard output")
    parser.add_argument(
        "--state", type=Path, metavar="EXPORT.json", help="check a `pulumi stack export` file instead of running the program"
    )
    parser.add_argument("--preview", action="store_true", help="run as a preview: computed outputs are unknown")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    # Evidence (docs/preflight.md#evidence-bundles)
    parser.add_argument(
        "--evidence", type=Path, metavar="DIR", help="write every format, MANIFEST.sha256 and (PREFLIGHT_SIGNING_KEY) its signature to DIR"
    )
    parser.add_argument(
        "--now", metavar="ISO8601", help="the report's time (default: SOURCE_DATE_EPOCH, else the clock), for reproducible reports"
    )
    return parser


def _where(exc: BaseException, roots: list[Path]) -> str:
    """`file:line` of the innermost traceback frame inside one of `roots` (the program or the pack), if any."""
    resolved = [str(root.resolve()) for root in roots]
    found = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if any(frame.filename.startswith(root) for root in resolved) and "site-packages" not in frame.filename:
            found = f"{frame.filename}:{frame.lineno}"
    return found


def _describe(exc: BaseException, roots: list[Path]) -> str:
    where = _where(exc, roots)
    return f"{type(exc).__name__}: {exc}" + (f" (at {where})" if where else "")


@contextmanager
def _stage(what: str, roots: list[Path], debug: bool) -> Iterator[None]:
    try:
        yield
    except (InputError, StageError):
        raise
    except pulumi.RunError as exc:
        # components.config.schema.ConfigError is a RunError whose message already lists one problem per line;
        # the Pulumi CLI, too, prints a RunError's message alone.
        if debug:
            raise
        raise StageError(str(exc)) from exc
    except Exception as exc:
        if debug:
            raise
        raise StageError(f"{what}: {_describe(exc, roots)}") from exc
    except SystemExit as exc:
        # A program that exits early registered only part of its resources: never a passing (0) or failing (1) gate.
        raise StageError(
            f"{what}: it called sys.exit({exc.code!r}) before it finished" + (f" (at {_where(exc, roots)})" if _where(exc, roots) else "")
        ) from exc


def _record(args: argparse.Namespace, console: Console | None) -> tuple[Recording, str]:
    """The recording, and the file SARIF locates findings at when a resource has no source line."""
    if args.state is not None:
        recording = load_state(args.state, args.project_dir)
        if args.stack:
            recording.stack = args.stack
        return recording, "Pulumi.yaml"
    project = load_project(args.project_dir)
    stack = args.stack or DEFAULT_STACK
    config = load_stack_config(project, stack)
    status = console.status(f"running {project.main} under mocks") if console is not None else nullcontext()
    with status, _stage(f"the program {project.main} failed", [project.directory], args.debug):
        recording = record_program(project.main, project.name, stack, config.values, config.secret_keys, args.preview)
    main = project.main.resolve()
    try:
        fallback = main.relative_to(project.directory.resolve()).as_posix()
    except ValueError:
        fallback = main.as_uri()
    return recording, fallback


def _progress(console: Console | None, total: int) -> Any:
    if console is None or total < PROGRESS_THRESHOLD:
        return nullcontext(None)
    return Progress(TextColumn("analyzing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=True)


def _advancer(progress: Progress | None, total: int) -> Callable[[], None] | None:
    if progress is None:
        return None
    task = progress.add_task("analyze", total=total)
    return lambda: progress.advance(task)


def _analyze(args: argparse.Namespace, recording: Recording, console: Console | None) -> Analysis:
    pack_dir: Path = args.policy_pack
    with _stage(f"policy pack {pack_dir} failed to load", [pack_dir], args.debug):
        pack = load_policy_pack(pack_dir)
    config_file = args.policy_config
    if config_file is None:
        default = pack_dir / "config" / f"{recording.stack}.json"
        config_file = default if default.is_file() else None
    source = f"--policy-config {config_file}" if config_file is not None else "policy config"
    config = resolve_config(pack, load_policy_config(config_file), source)
    with _stage(f"policy pack {pack.name} failed", [pack_dir], args.debug):
        analyzer = Analyzer(pack, config)
        with _progress(console, len(recording.resources)) as progress:
            return analyzer.analyze(recording, _advancer(progress, len(recording.resources)))


def run(args: argparse.Namespace) -> int:
    if args.state is not None and args.preview:
        raise InputError("--preview applies to program runs; a --state export holds deployed values")
    console = Console(stderr=True) if sys.stderr.isatty() else None
    recording, fallback = _record(args, console)
    analysis = _analyze(args, recording, console)
    evidence = build_evidence(recording, analysis, args.project_dir, preview=args.preview, now=args.now)
    if args.evidence is not None:
        write_bundle(evidence, args.evidence, fallback)
        print(f"preflight {evidence.project}/{evidence.stack}: {evidence.verdict()} (evidence bundle: {args.evidence})", file=sys.stderr)
    if args.output is not None:
        try:
            with args.output.open("w", encoding="utf-8") as stream:
                render(evidence, args.format, stream, fallback)
        except OSError as exc:
            raise InputError(f"--output {args.output}: cannot be written: {exc.strerror}") from None
        print(f"preflight {evidence.project}/{evidence.stack}: {evidence.verdict()} ({args.format} report: {args.output})", file=sys.stderr)
    elif args.evidence is None:
        render(evidence, args.format, sys.stdout, fallback)
    return 1 if evidence.mandatory else 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return run(args)
    except BrokenPipeError:
        # The reader (`| head`) closed the pipe: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (InputError, StageError) as exc:
        if args.debug:
            raise
        print(f"preflight: {exc}", file=sys.stderr)
        return 2
