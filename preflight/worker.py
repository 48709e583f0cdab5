"""The worker: record -> analyze -> evidence, in a process of its own, so that nothing the program or the pack does
(`os._exit`, `sys.exit`, a signal, a crash in native code, a `BaseException`, an endless loop) can end preflight
with a verdict. `preflight/cli.py` starts `serve` in a child process and takes back plain data only on success: an
`Outcome`, or a worded failure; it writes the report. `check` is the whole run, for callers in one process.

The child talks to the CLI over one pipe, in order: ("stage", what is running) any number of times, ("total", n)
once analysis starts, ("advance", k) as resources are analyzed, and last ("done", Outcome) or ("failed", message,
traceback text, empty without --debug).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pulumi

from preflight.analyze.config import check_exception_targets, config_digest, default_config_file, load_policy_config, resolve_config
from preflight.analyze.findings import Analysis
from preflight.analyze.pack import load_policy_pack
from preflight.analyze.servicer import Analyzer
from preflight.errors import InputError
from preflight.record.chart_cache import CACHE_ENV, CACHE_FOLDER
from preflight.record.charts import render_releases
from preflight.record.program import record_program
from preflight.record.project import load_project, load_stack_config
from preflight.record.recording import Recording
from preflight.record.stack_references import load_stack_references
from preflight.record.state import load_state
from preflight.report.evidence import Evidence, build_evidence

DEFAULT_STACK = "dev"
Send = Callable[[tuple[Any, ...]], None]


class StageError(Exception):
    """A failure of the program or the policy pack, already worded for the user (exit code 2)."""


@dataclass
class Outcome:
    """What a complete run hands the CLI: the evidence to render, and what it was read from."""

    evidence: Evidence
    fallback: str  # the file SARIF locates findings at when a resource has no source line
    inputs: list[str] = field(default_factory=list)  # every file the run read: --output may be none of them


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
    text = str(exc)
    return type(exc).__name__ + (f": {text}" if text else "") + (f" (at {where})" if where else "")


@contextmanager
def _stage(what: str, roots: list[Path]) -> Iterator[None]:
    try:
        yield
    except (InputError, StageError):
        raise
    except pulumi.RunError as exc:
        # components.config.schema.ConfigError is a RunError whose message already lists one problem per line;
        # the Pulumi CLI, too, prints a RunError's message alone.
        raise StageError(str(exc)) from exc
    except Exception as exc:
        raise StageError(f"{what}: {_describe(exc, roots)}") from exc
    except SystemExit as exc:
        # A program that exits early registered only part of its resources: never a passing (0) or failing (1) gate.
        where = _where(exc, roots)
        raise StageError(f"{what}: it called sys.exit({exc.code!r}) before it finished" + (f" (at {where})" if where else "")) from exc
    except BaseException as exc:  # KeyboardInterrupt, GeneratorExit, or a class of the program's own
        raise StageError(f"{what}: it raised {_describe(exc, roots)} before it finished") from exc


def _record(args: argparse.Namespace, send: Send, inputs: list[str]) -> tuple[Recording, str]:
    """The recording, and the file SARIF locates findings at when a resource has no source line."""
    if args.state is not None:
        inputs.append(str(args.state))
        recording = load_state(args.state, args.project_dir)
        if args.stack:
            recording.stack = args.stack
        return recording, "Pulumi.yaml"
    project = load_project(args.project_dir)
    stack = args.stack or DEFAULT_STACK
    inputs += [str(project.directory / "Pulumi.yaml"), str(project.stack_file(stack)), str(project.main)]
    config = load_stack_config(project, stack)
    references = load_stack_references(args.stack_reference)
    inputs += [file for _, file in (reference.partition("=")[::2] for reference in args.stack_reference)]
    what = f"the program {project.main}"
    send(("stage", what))
    with _stage(f"{what} failed", [project.directory]):
        recording = record_program(
            project.main, project.name, stack, config.values, config.secret_keys, args.preview, config.stand_ins, references
        )
    main = project.main.resolve()
    try:
        fallback = main.relative_to(project.directory.resolve()).as_posix()
    except ValueError:
        fallback = main.as_uri()
    return recording, fallback


def _refuse_empty(args: argparse.Namespace, recording: Recording) -> None:
    """Nothing recorded is nothing proved: not a pass unless --allow-empty says an empty stack is expected."""
    if recording.resources or getattr(args, "allow_empty", False):
        return
    if recording.mode == "state":
        raise InputError(
            f"--state {args.state}: the export holds no live resource (none, or only copies pending deletion), so nothing "
            "was checked; export the stack that has the resources, or pass --allow-empty if an empty stack is expected"
        )
    raise InputError(
        "the program registered no resources, so nothing was checked; check that it builds its resources under this "
        "stack's config, or pass --allow-empty if an empty stack is expected"
    )


def _analyze(args: argparse.Namespace, recording: Recording, send: Send, inputs: list[str]) -> Analysis:
    pack_dir: Path = args.policy_pack
    send(("stage", f"the policy pack {pack_dir}"))
    inputs += [str(pack_dir / "PulumiPolicy.yaml"), str(pack_dir / "__main__.py")]
    with _stage(f"policy pack {pack_dir} failed to load", [pack_dir]):
        pack = load_policy_pack(pack_dir)
    config_file = args.policy_config or default_config_file(pack_dir, recording.project, recording.stack)
    if config_file is not None:
        inputs.append(str(config_file))
    source = f"--policy-config {config_file}" if config_file is not None else "policy config"
    config = resolve_config(pack, load_policy_config(config_file), source)
    check_exception_targets(config, (r.urn for r in recording.resources), source)
    with _stage(f"policy pack {pack.name} failed", [pack_dir]):
        analyzer = Analyzer(pack, config)
        total = len(recording.resources)
        send(("total", total))
        analysis = analyzer.analyze(recording, _advancer(send))
    analysis.config_source = _shown(config_file, args.project_dir) if config_file is not None else ""
    analysis.config_sha256 = config_digest(config_file)
    return analysis


def _shown(path: Path, project_dir: Path) -> str:
    """A file as evidence names it: relative to the project when inside it, so the same check reads the same anywhere."""
    try:
        return path.resolve().relative_to(project_dir.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def _advancer(send: Send) -> Callable[[], None]:
    """Progress to the CLI at most ten times a second: the pipe carries counts, not one message per resource."""
    pending = 0
    last = time.monotonic()

    def advance() -> None:
        nonlocal pending, last
        pending += 1
        now = time.monotonic()
        if now - last >= 0.1:
            send(("advance", pending))
            pending, last = 0, now

    return advance


def check(args: argparse.Namespace, send: Send | None = None) -> Outcome:
    """The whole run in this process: the recording, the analysis and the evidence (InputError/StageError if not)."""
    send = send or (lambda message: None)
    if args.state is not None and args.preview:
        raise InputError("--preview applies to program runs; a --state export holds deployed values")
    if args.state is not None and args.stack_reference:
        # Refused rather than honoured: the export already holds each StackReference's outputs as deployed, which is
        # what a --state check judges; a file overriding them would judge values that were never deployed.
        raise InputError(
            "--stack-reference applies to program runs; a --state export holds each StackReference's deployed outputs: "
            "drop --stack-reference, or run the program (without --state) to use the file"
        )
    inputs: list[str] = []
    recording, fallback = _record(args, send, inputs)
    _refuse_empty(args, recording)
    chosen = args.chart_cache or os.environ.get(CACHE_ENV)
    send(("stage", "rendering the Helm releases"))
    render_releases(recording, Path(chosen) if chosen else args.project_dir / CACHE_FOLDER, str(chosen) if chosen else CACHE_FOLDER)
    analysis = _analyze(args, recording, send, inputs)
    send(("stage", "building the evidence"))
    evidence = build_evidence(recording, analysis, args.project_dir, preview=args.preview, now=args.now)
    return Outcome(evidence, fallback, inputs)


def _failure(exc: BaseException) -> str:
    if isinstance(exc, (InputError, StageError)):
        return str(exc)
    return f"internal error: {type(exc).__name__}: {exc}"


def serve(connection: Connection, args: argparse.Namespace) -> None:
    """The child process's entry point: `check`, its result or failure sent to the CLI over `connection`."""
    # The program's prints and pulumi.log go to standard error: standard output is the report's alone.
    sys.stdout.flush()
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    message: tuple[Any, ...]
    try:
        message = ("done", check(args, connection.send))
    except BaseException as exc:  # every failure is the CLI's to word, never this process's exit code
        message = ("failed", _failure(exc), "".join(traceback.format_exception(exc)) if args.debug else "")
    try:
        connection.send(message)
    except Exception as exc:  # the outcome would not pickle: a bug here, but still exit 2
        connection.send(("failed", _failure(exc), "".join(traceback.format_exception(exc)) if args.debug else ""))
    connection.close()
