"""README.md and docs/*.md point only at what exists: relative links resolve to files or folders, and every
repository path named in backticks (components/..., tests/..., ...) is there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCED_BLOCK = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
REPOSITORY_PATH = re.compile(r"(?:components|policies|preflight|tests|stacks|docs|\.github)/\S*")
# A placeholder such as <env> or * stands for many files: the path up to it must exist.
PLACEHOLDER = re.compile(r"[<*{]")


def _prose(page: Path) -> str:
    return FENCED_BLOCK.sub("", page.read_text(encoding="utf-8"))


def _missing_links(page: Path) -> list[str]:
    missing = []
    for target in LINK.findall(_prose(page)):
        if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # another site, or an anchor on the same page
        path = target.split("#", 1)[0]
        if not (page.parent / path).exists():
            missing.append(target)
    return missing


def _missing_paths(page: Path) -> list[str]:
    missing = []
    for span in CODE_SPAN.findall(_prose(page)):
        if not REPOSITORY_PATH.fullmatch(span):
            continue
        placeholder = PLACEHOLDER.search(span)
        if placeholder:
            # The folder the pattern lives in: policies/config/<env>.json -> policies/config/
            prefix = span[: placeholder.start()]
            existing = ROOT / prefix[: prefix.rfind("/") + 1]
        else:
            existing = ROOT / span
        if not existing.exists():
            missing.append(span)
    return missing


@pytest.mark.parametrize("page", PAGES, ids=[str(page.relative_to(ROOT)) for page in PAGES])
def test_relative_links_resolve(page: Path) -> None:
    assert _missing_links(page) == []


@pytest.mark.parametrize("page", PAGES, ids=[str(page.relative_to(ROOT)) for page in PAGES])
def test_named_repository_paths_exist(page: Path) -> None:
    assert _missing_paths(page) == []


def test_checks_catch_what_they_are_for(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "[gone](no-such-page.md) [site](https://example.com) [here](#top)\n"
        "`components/no_such_module.py` `stacks/Pulumi.<env>.yaml` `make test`\n"
        "```sh\ncat components/only_in_a_code_block.py\n```\n",
        encoding="utf-8",
    )
    assert _missing_links(page) == ["no-such-page.md"]
    assert _missing_paths(page) == ["components/no_such_module.py"]
