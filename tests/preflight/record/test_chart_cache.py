"""The chart cache fetcher against a chart repository served on 127.0.0.1: an index.yaml and an archive built here.
An archive whose SHA-256 differs from the index's digest is refused, a version the index lacks is named."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from preflight.record.chart_cache import FetchError, Pin, charts_main, fetch_all, fetch_chart
from tests.preflight.record.test_charts import build_cache


class Repository:
    def __init__(self, root: Path, base: str) -> None:
        self.root, self.base = root, base

    def publish(self, archive: bytes, digest: str | None = None, version: str = "1.2.3") -> None:
        (self.root / "demo-1.2.3.tgz").write_bytes(archive)
        entry = {"name": "demo", "version": version, "digest": digest or hashlib.sha256(archive).hexdigest(), "urls": ["demo-1.2.3.tgz"]}
        (self.root / "index.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "entries": {"demo": [entry]}}), encoding="utf-8")


@pytest.fixture
def repository(tmp_path: Path) -> Iterator[Repository]:
    root = tmp_path / "repo"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Repository(root, f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()


def archive(tmp_path: Path) -> bytes:
    return (build_cache(tmp_path / "built") / "demo-1.2.3.tgz").read_bytes()


def test_fetches_once_and_checks_the_published_digest(repository: Repository, tmp_path: Path) -> None:
    data = archive(tmp_path)
    repository.publish(data)
    cache = tmp_path / "cache"
    pin = Pin("demo", "1.2.3", repository.base)
    assert fetch_chart(pin, cache) == "cached"
    assert (cache / "demo-1.2.3.tgz").read_bytes() == data
    assert fetch_chart(pin, cache) == "up to date"


def test_a_digest_mismatch_is_refused(repository: Repository, tmp_path: Path) -> None:
    repository.publish(archive(tmp_path), digest="0" * 64)
    cache = tmp_path / "cache"
    with pytest.raises(FetchError, match=r"demo 1.2.3: .*demo-1.2.3.tgz has SHA-256 [0-9a-f]{64}, the index publishes 0{64}; not cached"):
        fetch_chart(Pin("demo", "1.2.3", repository.base), cache)
    assert not cache.exists() or not list(cache.iterdir())


def test_a_missing_version_is_named(repository: Repository, tmp_path: Path) -> None:
    repository.publish(archive(tmp_path), version="1.2.2")
    problems = fetch_all([Pin("demo", "1.2.3", repository.base), Pin("absent", "0.1.0", repository.base)], tmp_path / "cache")
    assert problems == [
        f"demo 1.2.3: {repository.base}/index.yaml has no version 1.2.3 of demo; check the pin in components/pins.py",
        f"absent 0.1.0: {repository.base}/index.yaml lists no chart 'absent'",
    ]


def test_an_unreachable_repository_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "project"
    (project / "components").mkdir(parents=True)
    (project / "components" / "pins.py").write_text(
        "from dataclasses import dataclass\n\n@dataclass(frozen=True)\nclass Chart:\n    name: str\n    version: str\n    repo: str\n\n"
        "DEMO = Chart('demo', '1.2.3', 'http://127.0.0.1:9/charts')\n",
        encoding="utf-8",
    )
    assert charts_main(["--project-dir", str(project), "--chart-cache", str(tmp_path / "cache")], project) == 2
    assert "preflight charts: http://127.0.0.1:9/charts/index.yaml:" in capsys.readouterr().err


def test_the_projects_pins_are_every_chart() -> None:
    from components import pins
    from preflight.record.chart_cache import project_pins
    from tests.helpers.harness import ROOT

    assert {(p.name, p.version, p.repo) for p in project_pins(ROOT)} == {
        (c.name, c.version, c.repo) for c in vars(pins).values() if isinstance(c, pins.Chart)
    }
