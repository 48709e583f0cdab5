"""Bounded, strict JSON: nesting depth pre-scanned in one linear pass (strings skipped) before `json.loads` recurses;
duplicate keys, NaN/Infinity, out-of-range numbers and unpaired surrogate escapes refused (RFC 8259 plus no duplicate
keys, which Pulumi would silently resolve to the last)."""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Callable, Iterable
from itertools import accumulate, count
from pathlib import Path
from typing import Any, NoReturn

from preflight.inputs.text import JSON_MAX_BYTES, MAX_DEPTH, Refused, check_depth_limit, key_path, read_bytes_and_text, refuse

_JSON_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_STRING_OR_BRACKET = re.compile(_JSON_STRING + r"|[\[\]{}]", re.S)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONG_INTEGER = re.compile(r"(?<![\d.eE\"])-?\d{4300}")  # error path only


_NOT_QUOTES_OR_BRACKETS = bytes(b for b in range(256) if b not in b'"[]{}')
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")


def _json_depth(data: bytes) -> int:
    """Deepest bracket nesting outside strings, in a few linear C-speed passes over the bytes.

    Escaped backslashes, then escaped quotes, are dropped (neither can open or close a string); every byte but
    quotes and brackets is dropped; what is left between quote pairs was inside strings and is dropped too. The rest
    are the structural brackets, whose running sum (+1 open, -1 close) peaks at the depth.
    """
    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    skeleton = data.translate(None, _NOT_QUOTES_OR_BRACKETS)
    brackets = b"".join(skeleton.split(b'"')[::2]).translate(_BRACKET_STEPS)  # odd pieces were inside strings
    if not brackets:
        return 0
    peak: int = max(map(operator.sub, accumulate(brackets), count(1)))  # running sum of (step - 1), all in C
    return peak


def _json_depth_offset(text: str, limit: int) -> int:
    """Offset of the first bracket that opens level limit+1 (only called once the limit is known to be exceeded)."""
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return match.start()
        elif token in "]}":
            depth -= 1
    return 0


def _token_offset(text: str, token: str) -> int | None:
    """Offset of the first occurrence of `token` outside strings, as a whole token."""
    pattern = re.compile(_JSON_STRING + r"|(?<![\w.+-])(" + re.escape(token) + r")(?![\w.+-])", re.S)
    for match in pattern.finditer(text):
        if match.group(1) is not None:
            return match.start(1)
    return None


def _text_line_column(text: str, offset: int | None) -> tuple[int | None, int | None]:
    if offset is None:
        return None, None
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


class _DuplicateKeys(dict[str, Any]):
    """An object with a repeated key; returned by the hook so the key path can be found once parsing ends."""

    duplicate: str = ""


def _find(value: Any, parts: list[str | int], hit: Callable[[Any], list[str | int] | None]) -> list[str | int] | None:
    """The key path of the first value (depth first) for which `hit` gives a path suffix; depth bounded by max_depth."""
    found = hit(value)
    if found is not None:
        return [*parts, *found]
    items: Iterable[tuple[str | int, Any]]
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _find(item, [*parts, key], hit)
        if found is not None:
            return found
    return None


def _duplicate_here(value: Any) -> list[str | int] | None:
    return [value.duplicate] if isinstance(value, _DuplicateKeys) else None


def _surrogate_here(value: Any) -> list[str | int] | None:
    if isinstance(value, str):
        return [] if re.search("[\ud800-\udfff]", value) else None
    if isinstance(value, dict):
        for key in value:
            if re.search("[\ud800-\udfff]", key):
                return [key.encode("utf-8", "backslashreplace").decode("ascii")]
    return None


def load_json(path: Path | str, what: str, *, max_bytes: int = JSON_MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value in `path`, strictly (RFC 8259 plus no duplicate keys), or an InputError."""
    check_depth_limit(max_depth)
    data, text = read_bytes_and_text(path, what, max_bytes, allow_bom=False)
    if _json_depth(data) > max_depth:
        line, column = _text_line_column(text, _json_depth_offset(text, max_depth))
        refuse(path, what, f"nesting is deeper than {max_depth} levels", "flatten the structure", line=line, column=column)
    duplicates: list[_DuplicateKeys] = []

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) == len(pairs):
            return result
        seen: set[str] = set()
        marked = _DuplicateKeys(result)
        marked.duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        duplicates.append(marked)
        return marked

    def refuse_token(token: str, problem: str, fix: str) -> NoReturn:
        line, column = _text_line_column(text, _token_offset(text, token))
        raise Refused(problem, fix, (line, column))

    def parse_constant(token: str) -> Any:
        refuse_token(token, f"{token} is not a JSON number", "write a number, or null")

    def parse_float(token: str) -> float:
        number = float(token)
        if not math.isfinite(number):
            refuse_token(token, f"number {token[:40]} is out of range for a 64-bit float", "write a smaller number")
        return number

    try:
        value = json.loads(text, object_pairs_hook=pairs_hook, parse_constant=parse_constant, parse_float=parse_float)
    except Refused as exc:
        line, column = exc.mark
        refuse(path, what, exc.problem, exc.fix, line=line, column=column)
    except json.JSONDecodeError as exc:
        refuse(
            path,
            what,
            f"not valid JSON: {exc.msg}",
            "fix the syntax there (a missing comma, quote or bracket?)",
            line=exc.lineno,
            column=exc.colno,
        )
    except ValueError as exc:  # int(): over Python's 4300-digit limit (1e308 is already out of Go's float64 range)
        match = _LONG_INTEGER.search(text)
        line, column = _text_line_column(text, match.start() if match else None)
        refuse(path, what, f"a number is out of range: {str(exc).split(';')[0]}", "write a smaller number", line=line, column=column)
    if duplicates:
        found = _find(value, [], _duplicate_here)
        key = duplicates[0].duplicate if found is None else found[-1]
        refuse(
            path,
            what,
            f"object key {json.dumps(key)} appears twice in one object",
            "remove one of them (Pulumi would silently keep the last)",
            key_path=key_path(found or [key]),
        )
    if _SURROGATE_ESCAPE.search(text):
        found = _find(value, [], _surrogate_here)
        if found is not None:
            refuse(
                path,
                what,
                "a string has an unpaired UTF-16 surrogate escape (\\ud800-\\udfff)",
                "escape the full character, or remove it",
                key_path=key_path(found) or "the top-level value",
            )
    return value
