"""`python -m preflight`: record the program under mocks and print its resource tree.

Exit codes: 0 success; 2 usage, stack config, program or state error (one message, no traceback)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from components.config import ConfigError
from preflight.project import InputError, load_project, load_stack_config
from preflight.recorder import Recording, record_program

REPO_ROOT = Path(__file__).resolve().parent.parent


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m preflight", description=__doc__)
    parser.add_argument("--project-dir", type=Path, default=REPO_ROOT)
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--format", choices=["text"], default="text")
    parser.add_argument("--preview", action="store_true", help="run as a preview: outputs are unknown")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    return parser


def print_tree(recording: Recording) -> None:
    children: dict[str, list[str]] = {}
    by_urn = recording.by_urn()
    for r in recording.resources:
        children.setdefault(r.parent, []).append(r.urn)

    def show(urn: str, depth: int) -> None:
        r = by_urn[urn]
        print(f"{'  ' * depth}{r.type}  {r.name}")
        for child in sorted(children.get(urn, []), key=lambda u: (by_urn[u].type, by_urn[u].name)):
            show(child, depth + 1)

    print(f"{recording.project}/{recording.stack}: {len(recording.resources)} resources")
    for root in sorted(children.get("", []), key=lambda u: by_urn[u].name):
        show(root, 1)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        project = load_project(args.project_dir)
        config = load_stack_config(project, args.stack)
        recording = record_program(project.main, project.name, args.stack, config.values, config.secret_keys, args.preview)
    except (InputError, ConfigError) as exc:
        if args.debug:
            raise
        print(f"preflight: {exc}", file=sys.stderr)
        return 2
    print_tree(recording)
    return 0
