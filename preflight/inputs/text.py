"""Bounded, strict reading of preflight's input files: every bad input is an `InputError` (exit 2), never a traceback.

Pulumi.yaml, stack files, PulumiPolicy.yaml, policy config JSON and `pulumi stack export` JSON are read with limits,
so a hostile or broken file fails fast, in bounded time and memory, with one line naming the file, the location
(line/column and, where there is one, the key path) and what to fix. This module: the limits, `read_text` (a size
bound, strict UTF-8 with the first bad byte's offset, line and column, no NUL bytes, no UTF-16/32; a UTF-8 byte-order
mark is stripped where Pulumi strips it (Pulumi.yaml and stack files, `readFileStripUTF8BOM` in
sdk/go/common/workspace/loaders.go) and refused in JSON, as Go's encoding/json refuses it) and the message format.
`yaml_file.load_yaml`, `json_file.load_json` and `shapes` build on it.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

from preflight.errors import InputError

# Limits. Our stack files are 2-8 kB, Pulumi.yaml under 1 kB, policy configs about 1 kB, a large state export 5 MB.
YAML_MAX_BYTES = 1 << 20  # 1 MiB: over 100x the largest stack file; config beyond that belongs in ESC, not a stack file.
JSON_MAX_BYTES = 128 << 20  # 128 MiB: 25x a large (5 MB) export, which load_json reads in about 0.2 s.
# 64 levels: real inputs nest under 10 (stack config) and under 40 (state: 5 wrapper levels plus resource properties,
# which cannot usefully exceed ~32: pulumi_policy parses them as protobuf Structs and upb's default recursion limit of
# 100 refuses a Struct nested 33 dicts deep). Every recursive walk downstream (secrets, placeholders, reports) stays far
# from Python's 1000-frame recursion limit, whoever calls it.
MAX_DEPTH = 64
MAX_ALIASES = 1_000  # alias dereferences (`*name`) per document; real stack files use none or a handful.
# Nodes in the document with every alias expanded: what a downstream walk that copies values visits. A stack file of
# 8 kB has under 2,000; 100,000 bounds any walk to well under a second while leaving 50x headroom.
MAX_NODES = 100_000


class Refused(Exception):
    """A limit or rule broken while composing or constructing; load_yaml turns it into an InputError."""

    def __init__(self, problem: str, fix: str, mark: Any = None, key_path: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix
        self.mark = mark
        self.key_path = key_path


def refuse(
    path: Path | str,
    what: str,
    problem: str,
    fix: str,
    *,
    line: int | None = None,
    column: int | None = None,
    key_path: str | None = None,
) -> NoReturn:
    """`<what> <path>: line L, column C (at key.path): <problem>; <fix>`; line and column are 1-based."""
    if key_path and len(key_path) > 120:
        key_path = key_path[:117] + "..."
    where = []
    if line is not None:
        where.append(f"line {line}" + (f", column {column}" if column is not None else ""))
    if key_path:
        where.append(f"at {key_path}" if not where else f"(at {key_path})")
    head = f"{what} {path}" if what else str(path)
    location = f" {' '.join(where)}:" if where else ""
    raise InputError(f"{head}:{location} {problem}; {fix}", path=str(path), line=line, column=column, key_path=key_path or None)


def check_depth_limit(max_depth: int) -> None:
    """Depth limits past 500 would let the recursive parts (json.loads, SafeConstructor, key-path search) recurse too
    deep; that is a caller's mistake, not bad input."""
    if not 1 <= max_depth <= 500:
        raise ValueError(f"max_depth must be between 1 and 500, not {max_depth}")


def _line_column(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and character column of byte `offset`, given that data[:offset] is valid UTF-8."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, len(data[line_start:offset].decode("utf-8", "replace")) + 1


def read_text(path: Path | str, what: str, max_bytes: int, *, allow_bom: bool = True) -> str:
    """The file's text: a regular file of at most `max_bytes` bytes, strict UTF-8 with no NUL byte.

    `allow_bom`: strip a leading UTF-8 byte-order mark (what Pulumi does for Pulumi.yaml and stack files); when False
    it is refused (what Go's encoding/json, hence Pulumi, does for JSON). UTF-16 and UTF-32 are always refused.
    """
    return read_bytes_and_text(path, what, max_bytes, allow_bom)[1]


def read_bytes_and_text(path: Path | str, what: str, max_bytes: int, allow_bom: bool) -> tuple[bytes, str]:
    """read_text's work: (the bytes after any BOM, their text)."""
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            refuse(path, what, "is a folder, not a file", "pass the file itself")
        if not stat.S_ISREG(info.st_mode):
            refuse(path, what, "is not a regular file (a pipe, socket or device)", "pass a file saved on disk")
        if info.st_size > max_bytes:
            refuse(path, what, f"is {info.st_size} bytes, over the limit of {max_bytes}", "check that it is the right file")
        with open(path, "rb") as stream:
            data = stream.read(max_bytes + 1)  # the file may grow between stat and read
    except FileNotFoundError:
        refuse(path, what, "does not exist", "check the path")
    except PermissionError:
        refuse(path, what, "cannot be read: permission denied", "make it readable by this user")
    except OSError as exc:
        refuse(path, what, f"cannot be read: {exc.strerror or exc}", "check the path")
    except ValueError:  # a NUL character in the path itself
        refuse(repr(str(path)), what, "is not a valid path", "check the path")
    if len(data) > max_bytes:
        refuse(path, what, f"is over the limit of {max_bytes} bytes", "check that it is the right file")
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        refuse(path, what, "is UTF-16 or UTF-32 (it starts with that byte-order mark)", "save it as UTF-8", line=1, column=1)
    if data.startswith(codecs.BOM_UTF8):
        if not allow_bom:
            refuse(
                path,
                what,
                "starts with a UTF-8 byte-order mark, which JSON readers (Pulumi's too) refuse",
                "save it as UTF-8 without BOM",
                line=1,
                column=1,
            )
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
        bad = -1
    except UnicodeDecodeError as exc:
        bad = exc.start
        text = ""
    nul = data.find(b"\0", 0, bad if bad >= 0 else len(data))
    if nul >= 0 or bad >= 0:
        offset = nul if nul >= 0 else bad
        problem, fix = (
            (f"has a NUL byte at byte offset {nul}", "this is not a text file; restore it from version control")
            if nul >= 0
            else (f"is not UTF-8: byte 0x{data[bad]:02x} at byte offset {bad} is invalid", "re-save the file as UTF-8")
        )
        line, column = _line_column(data, offset)
        refuse(path, what, problem, fix, line=line, column=column)
    return data, text


_PLAIN_KEY = re.compile(r"[^\s.\[\]\"']+")


def key_path(parts: Iterable[str | int]) -> str:
    """Pulumi's config path syntax: `a.b[0]`, with keys that are not plain written `["a.b"]`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out
