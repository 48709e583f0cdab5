"""A small interpreter for the subset of ES|QL the anomaly rules use, to run them on synthetic documents.

No ES|QL engine is installable from PyPI. The rules are one FROM, then WHERE / EVAL / STATS / KEEP commands over
comparisons, AND/OR, CASE, TO_DOUBLE, NOW() - <n> minutes, COUNT(*) and SUM: each expression is translated into
Python and evaluated per row (ES|QL's null: a division by zero gives None, and a WHERE on None keeps no row).
Anything outside the subset fails the translation, so a rule that drifts from it fails its test.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_ALLOWED = re.compile(r"^[@\w\s.()<>=!*+/,\-]*$")


@dataclass(frozen=True)
class Doc:
    minute: int
    status: int | None
    count: int = 1  # identical documents in that minute


def _split(text: str) -> list[str]:
    """Split on the commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return [*parts, current.strip()] if current.strip() else parts


def _python(expr: str, now: int) -> str:
    if not _ALLOWED.match(expr):
        raise ValueError(f"outside the interpreted subset: {expr}")
    expr = re.sub(r"NOW\(\)\s*-\s*(\d+)\s+minutes", rf"({now} - \1)", expr)
    expr = expr.replace("@timestamp", "minute")
    expr = re.sub(r"CASE\(([^,]+),\s*([^,]+),\s*([^)]+)\)", r"((\2) if (\1) else (\3))", expr)
    expr = re.sub(r"\bTO_DOUBLE\(", "float(", expr)
    expr = re.sub(r"\bIS NOT NULL\b", "is not None", expr)
    expr = re.sub(r"\bAND\b", "and", expr)
    expr = re.sub(r"\bOR\b", "or", expr)
    return expr


def _value(expr: str, row: dict[str, Any], now: int) -> Any:
    try:
        return eval(_python(expr, now), {"__builtins__": {"float": float}}, dict(row))
    except (ZeroDivisionError, TypeError):
        return None


def run(esql: str, docs: Sequence[Doc], now: int, window_minutes: int) -> list[dict[str, Any]]:
    """The rows the query returns at the end of minute `now`, over the rule's time window."""
    first, *commands = [line.strip() for line in esql.splitlines()]
    assert first.startswith("FROM "), first
    rows: list[dict[str, Any]] = [
        {"minute": d.minute, "status": d.status, "_count": d.count} for d in docs if now - window_minutes < d.minute <= now
    ]
    for command in commands:
        verb, _, body = command.removeprefix("| ").partition(" ")
        if verb == "WHERE":
            rows = [r for r in rows if _value(body, r, now) is True]
        elif verb == "EVAL":
            for assignment in _split(body):
                name, _, expr = assignment.partition(" = ")
                for r in rows:
                    r[name] = _value(expr, r, now)
        elif verb == "STATS":
            out: dict[str, Any] = {}
            for assignment in _split(body):
                name, _, call = assignment.partition(" = ")
                if call == "COUNT(*)":
                    out[name] = sum(r["_count"] for r in rows)
                else:
                    inner = re.fullmatch(r"SUM\((.+)\)", call)
                    assert inner is not None, call
                    out[name] = sum(_value(inner.group(1), r, now) * r["_count"] for r in rows)
            rows = [out]
        elif verb == "KEEP":
            keep = _split(body)
            rows = [{k: r[k] for k in keep} for r in rows]
        else:
            raise ValueError(f"outside the interpreted subset: {verb}")
    return rows
