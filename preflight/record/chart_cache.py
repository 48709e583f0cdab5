"""The local chart cache: `python -m preflight charts` (and `make charts`) fetches each pinned chart archive once.

For every chart pin (components/pins.py: name, version, repository) it reads the repository's `index.yaml`, takes
the entry of exactly that version, downloads its archive and keeps it as `<cache>/<name>-<version>.tgz` only when
its SHA-256 equals the `digest` the index publishes. An archive already cached with that digest is not downloaded
again. preflight then renders offline from the cache (preflight/record/charts.py).
"""

from __future__ import annotations

import hashlib
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import yaml

from preflight.record.charts import archive_name

TIMEOUT_SECONDS = 60
CACHE_FOLDER = ".charts"  # git-ignored
CACHE_ENV = "PREFLIGHT_CHART_CACHE"  # overrides <project>/.charts; --chart-cache overrides both
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FetchError(Exception):
    """One chart could not be cached; the message names it and why."""


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    repo: str


def _get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # http(s) repository URLs
            data: bytes = response.read()
            return data
    except (urllib.error.URLError, OSError) as exc:
        raise FetchError(f"{url}: {getattr(exc, 'reason', exc)}") from None


def _entry(index: Any, pin: Pin, index_url: str) -> dict[str, Any]:
    entries = index.get("entries") if isinstance(index, dict) else None
    versions = entries.get(pin.name) if isinstance(entries, dict) else None
    if not isinstance(versions, list):
        raise FetchError(f"{pin.name} {pin.version}: {index_url} lists no chart {pin.name!r}")
    for entry in versions:
        if isinstance(entry, dict) and str(entry.get("version")) == pin.version:
            return entry
    raise FetchError(
        f"{pin.name} {pin.version}: {index_url} has no version {pin.version} of {pin.name}; check the pin in components/pins.py"
    )


def fetch_chart(pin: Pin, cache: Path) -> str:
    """Caches one chart archive; returns what it did ('cached', 'up to date'); FetchError on any mismatch."""
    index_url = pin.repo.rstrip("/") + "/index.yaml"
    index = yaml.load(_get(index_url), Loader=_LOADER)
    entry = _entry(index, pin, index_url)
    digest = str(entry.get("digest") or "").lower()
    urls = entry.get("urls") or []
    if not digest or not urls:
        raise FetchError(f"{pin.name} {pin.version}: the entry in {index_url} has no digest or no urls; refusing an unverifiable archive")
    target = cache / archive_name(pin.name, pin.version)
    if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == digest:
        return "up to date"
    archive_url = urljoin(pin.repo.rstrip("/") + "/", str(urls[0]))
    data = _get(archive_url)
    actual = hashlib.sha256(data).hexdigest()
    if actual != digest:
        raise FetchError(f"{pin.name} {pin.version}: {archive_url} has SHA-256 {actual}, the index publishes {digest}; not cached")
    cache.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".tgz.partial")
    partial.write_bytes(data)
    os.replace(partial, target)
    return "cached"


def fetch_all(pins: Iterable[Pin], cache: Path) -> list[str]:
    """Fetches every pin; returns the problems (one line each), an empty list when the cache is complete."""
    problems: list[str] = []
    for pin in pins:
        try:
            print(f"{pin.name} {pin.version}: {fetch_chart(pin, cache)}", file=sys.stderr)
        except FetchError as exc:
            problems.append(str(exc))
    return problems


def project_pins(project_dir: Path) -> list[Pin]:
    """Every chart pin of the project's `components/pins.py` (values of type `Chart` there)."""
    import runpy

    sys.path.insert(0, str(project_dir.resolve()))
    try:
        namespace = runpy.run_path(str(project_dir / "components" / "pins.py"))
    finally:
        sys.path.pop(0)
    pins = {
        (v.name, v.version, v.repo)
        for v in namespace.values()
        if not isinstance(v, type) and all(hasattr(v, a) for a in ("name", "version", "repo"))
    }
    return [Pin(*p) for p in sorted(pins)]


def charts_main(argv: list[str], default_project: Path) -> int:
    """`python -m preflight charts [--project-dir DIR] [--chart-cache DIR]`: 0 when every pin is cached, 2 otherwise."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m preflight charts", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--project-dir", type=Path, default=default_project)
    parser.add_argument("--chart-cache", type=Path, help="cache folder (default: <project>/.charts)")
    args = parser.parse_args(argv)
    cache = args.chart_cache or Path(os.environ.get(CACHE_ENV) or args.project_dir / CACHE_FOLDER)
    problems = fetch_all(project_pins(args.project_dir), cache)
    for problem in problems:
        print(f"preflight charts: {problem}", file=sys.stderr)
    return 2 if problems else 0
