"""Provenance: by which rules, under which configuration, from which sources and tools, when, and on what
stand-ins a verdict was reached. Every format renders `Provenance.as_dict()` (json `provenance`, sarif run
properties) or its lines (text, markdown), so they all say the same.

The time is the run's, in UTC; `--now` or SOURCE_DATE_EPOCH (the reproducible-builds convention) fix it, so two runs
on the same inputs give byte-identical reports. Git facts come from `git rev-parse`/`git status` and are empty outside
a repository or without git.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import subprocess
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from preflight import __version__
from preflight.errors import InputError
from preflight.record.recording import Recording


@dataclass(frozen=True)
class GitState:
    commit: str = ""  # "" outside a repository
    dirty: bool = False  # uncommitted changes (tracked or untracked) under the folder


@dataclass(frozen=True)
class Provenance:
    pack: str
    pack_version: str
    pack_git: GitState
    project: str
    stack: str
    project_git: GitState
    policy_config: str  # the file applied, or "" for the pack's defaults
    policy_config_sha256: str
    tools: dict[str, str]
    generated_at: str  # ISO 8601, UTC
    mode: str  # program, preview or state
    stand_ins: dict[str, int] = field(default_factory=dict)  # kind -> count

    def as_dict(self) -> dict[str, Any]:
        """The `provenance` object of the JSON report (and the SARIF run's properties)."""
        return {
            "pack": {"name": self.pack, "version": self.pack_version, **asdict(self.pack_git)},
            "project": {"name": self.project, "stack": self.stack, **asdict(self.project_git)},
            "policy_config": {"path": self.policy_config, "sha256": self.policy_config_sha256},
            "tools": dict(self.tools),
            "generated_at": self.generated_at,
            "mode": self.mode,
            "stand_ins": {"total": sum(self.stand_ins.values()), "by_kind": dict(self.stand_ins)},
        }

    def config_label(self, quote: str = "") -> str:
        """The policy config the verdict rests on, as report headers name it; `quote` around its path (Markdown's `)."""
        if not self.policy_config:
            return "pack defaults"
        return f"{quote}{self.policy_config}{quote} (sha256 {self.policy_config_sha256})"

    def lines(self) -> list[tuple[str, str]]:
        """(label, value) pairs for the text and Markdown reports."""
        tools = ", ".join(f"{name} {version}" for name, version in self.tools.items())
        stand_ins = ", ".join(f"{n} {kind}" for kind, n in self.stand_ins.items()) or "none"
        return [
            ("policy pack", f"{self.pack} v{self.pack_version}{_git_words(self.pack_git)}"),
            ("project", f"{self.project}/{self.stack}{_git_words(self.project_git)}"),
            ("policy config", self.config_label()),
            ("mode", self.mode),
            ("tools", tools),
            ("generated", self.generated_at),
            ("stand-ins", stand_ins),
        ]


def _git_words(state: GitState) -> str:
    if not state.commit:
        return ""
    return f" at {state.commit[:12]}" + (" (uncommitted changes)" if state.dirty else "")


def git_state(directory: Path | None) -> GitState:
    if directory is None or not directory.is_dir():
        return GitState()
    try:
        head = subprocess.run(["git", "-C", str(directory), "rev-parse", "HEAD"], capture_output=True, text=True, check=False, timeout=10)
        if head.returncode != 0:
            return GitState()
        status = subprocess.run(
            ["git", "-C", str(directory), "status", "--porcelain", "--", "."], capture_output=True, text=True, check=False, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return GitState()
    return GitState(commit=head.stdout.strip(), dirty=bool(status.stdout.strip()))


def tool_versions() -> dict[str, str]:
    versions = {"preflight": __version__}
    for package in ("pulumi", "pulumi_policy"):
        try:
            versions[package] = importlib.metadata.version(package.replace("_", "-"))
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "unknown"
    versions["python"] = platform.python_version()
    return versions


def run_time(now: str | None = None) -> str:
    """The report's time: `now` (ISO 8601; `--now`), else SOURCE_DATE_EPOCH, else the clock; UTC, to the second."""
    if now:
        try:
            moment = datetime.datetime.fromisoformat(now.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"--now {now}: not an ISO 8601 time; use e.g. 2026-12-01T00:00:00Z") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
    elif os.environ.get("SOURCE_DATE_EPOCH"):
        epoch = os.environ["SOURCE_DATE_EPOCH"]
        if not epoch.isdigit():
            raise InputError(f"SOURCE_DATE_EPOCH={epoch}: must be whole seconds since 1970-01-01 UTC")
        moment = datetime.datetime.fromtimestamp(int(epoch), datetime.UTC)
    else:
        moment = datetime.datetime.now(datetime.UTC)
    return moment.astimezone(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def build_provenance(
    recording: Recording,
    pack: tuple[str, str, Path | None],
    config: tuple[str, str],
    project_dir: Path | None,
    preview: bool,
    now: str | None = None,
) -> Provenance:
    """`pack` is (name, version, folder); `config` is (file applied, its SHA-256), as the analysis carries them."""
    name, version, pack_dir = pack
    mode = "state" if recording.mode == "state" else ("preview" if preview else "program")
    kinds = Counter(s.kind for s in recording.stand_ins)
    return Provenance(
        pack=name,
        pack_version=version,
        pack_git=git_state(pack_dir),
        project=recording.project,
        stack=recording.stack,
        project_git=git_state(project_dir),
        policy_config=config[0],
        policy_config_sha256=config[1],
        tools=tool_versions(),
        generated_at=run_time(now),
        mode=mode,
        stand_ins=dict(sorted(kinds.items())),
    )
