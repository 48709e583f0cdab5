"""LogQL in tests: a grammar-level check of the log layer and Prometheus's own grammar for the rest, plus an evaluator.

No LogQL parser is installable from PyPI (Loki's is Go, AGPL). A LogQL metric query is PromQL whose range vectors are
log queries: `count_over_time({cluster="a"} | status=~"5.." [5m] offset 1h)`. `split` parses each log query (stream
selector, then line filters, label filters, json/logfmt parsers and unwrap, regexes compiled by RE2 as Loki's Go
regexp does) and puts a placeholder metric in its place; `parse` hands the remaining text to promql-parser (a port
of Prometheus's parser). `evaluate` computes the parsed expression at one minute over synthetic per-minute counts,
with PromQL's vector semantics for label-less results: an empty vector is None, `and`/`or` and comparisons filter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import promql_parser
import re2

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DURATION = re.compile(r"\[\s*\d+[smhdwy]\s*\]")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`')
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[a-z]+)?")
_MATCH_OPS = ("=~", "!~", "!=", "=")
_FILTER_OPS = ("|=", "!=", "|~", "!~")
_COMPARE_OPS = ("==", "!=", "=~", "!~", ">=", "<=", ">", "<", "=")


class LogQLSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Filter:
    name: str  # a label or metadata field; "" for a line filter
    op: str
    value: str | float


@dataclass(frozen=True)
class LogQuery:
    stream: tuple[Filter, ...]
    stages: tuple[Filter, ...] = ()
    unwrap: str = ""


@dataclass
class _Scanner:
    text: str
    pos: int = 0
    queries: list[LogQuery] = field(default_factory=list)

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def take(self, pattern: re.Pattern[str], what: str) -> str:
        self.skip()
        match = pattern.match(self.text, self.pos)
        if match is None:
            raise LogQLSyntaxError(f"expected {what} at {self.pos}: {self.text[self.pos : self.pos + 30]!r}")
        self.pos = match.end()
        return match.group(0)

    def op(self, ops: Sequence[str]) -> str | None:
        self.skip()
        for candidate in ops:
            if self.text.startswith(candidate, self.pos):
                self.pos += len(candidate)
                return candidate
        return None

    def string(self) -> str:
        raw = self.take(_STRING, "a string")
        return raw[1:-1] if raw.startswith("`") else bytes(raw[1:-1], "utf-8").decode("unicode_escape")

    def selector(self) -> LogQuery:
        self.pos += 1  # "{"
        matchers: list[Filter] = []
        while True:
            name = self.take(_IDENT, "a label name")
            op = self.op(_MATCH_OPS)
            if op is None:
                raise LogQLSyntaxError(f"expected a matcher after {name}")
            matchers.append(_checked(Filter(name, op, self.string())))
            self.skip()
            if self.text.startswith("}", self.pos):
                self.pos += 1
                break
            if not self.text.startswith(",", self.pos):
                raise LogQLSyntaxError(f"expected , or }} at {self.pos}")
            self.pos += 1
        if not any(m.op in ("=", "=~") and m.value not in ("", ".*") for m in matchers):
            raise LogQLSyntaxError("a stream selector needs one matcher that is not empty-compatible")
        stages: list[Filter] = []
        unwrap = ""
        while True:
            self.skip()
            line_op = self.op(_FILTER_OPS)
            if line_op is not None:
                stages.append(_checked(Filter("", line_op, self.string())))
                continue
            if not self.text.startswith("|", self.pos):
                return LogQuery(tuple(matchers), tuple(stages), unwrap)
            self.pos += 1
            name = self.take(_IDENT, "a pipeline stage")
            if name in ("json", "logfmt"):
                continue
            if name == "regexp":
                _checked(Filter("", "|~", self.string()))
                continue
            if name == "unwrap":
                unwrap = self.take(_IDENT, "a field to unwrap")
                continue
            op = self.op(_COMPARE_OPS)
            if op is None:
                raise LogQLSyntaxError(f"unknown stage {name!r}")
            self.skip()
            value: str | float = self.string() if self.text[self.pos] in '"`' else float(self.take(_NUMBER, "a number").rstrip("ms"))
            stages.append(_checked(Filter(name, op, value)))

    def rewrite(self) -> str:
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in '"`':
                out.append(self.take(_STRING, "a string"))
            elif char == "{":
                self.queries.append(self.selector())
                self.skip()
                if not _DURATION.match(self.text, self.pos):
                    raise LogQLSyntaxError("a log query in a metric query needs a range: [5m]")
                out.append(f"__log{len(self.queries) - 1} ")
            else:
                out.append(char)
                self.pos += 1
        return "".join(out)


def _checked(f: Filter) -> Filter:
    if f.op in ("=~", "!~", "|~") and isinstance(f.value, str):
        try:
            re2.compile(f.value)
        except re2.error as err:
            raise LogQLSyntaxError(f"regex {f.value!r}: {err}") from err
    return f


# LogQL groups a range aggregation after its parentheses (`quantile_over_time(0.99, ... [5m]) by (cluster)`), PromQL
# only aggregation operators: once the log queries are placeholders, move the grouping to an equivalent `sum by`.
_RANGE_GROUPING = re.compile(r"(\w+_over_time\([^()]*\))\s*by\s*\(([^)]*)\)")


# LogQL's range aggregations that PromQL lacks, as the PromQL function of the same shape.
_LOGQL_ONLY = {"bytes_over_time(": "count_over_time(", "bytes_rate(": "rate("}


def split(logql: str) -> tuple[str, list[LogQuery]]:
    scanner = _Scanner(logql)
    promql = _RANGE_GROUPING.sub(r"sum by (\2) (\1)", scanner.rewrite())
    for logql_only, promql_same in _LOGQL_ONLY.items():
        promql = promql.replace(logql_only, promql_same)
    return promql, scanner.queries


def parse(logql: str) -> tuple[Any, list[LogQuery]]:
    """The PromQL layer's syntax tree (promql-parser) and the log queries it ranges over; raises on bad syntax."""
    promql, queries = split(logql)
    try:
        return promql_parser.parse(promql), queries
    except ValueError as err:
        raise LogQLSyntaxError(f"{err}: {promql}") from err


# --- evaluation over synthetic series -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    """Log lines of one kind: their labels and fields, and how many arrive in each minute."""

    fields: Mapping[str, str]
    per_minute: Sequence[int]


def _matches(f: Filter, fields: Mapping[str, str]) -> bool:
    have = fields.get(f.name or "line", "")
    if isinstance(f.value, float):
        number = float(have) if have else float("nan")
        return {"==": number == f.value, "!=": number != f.value, ">": number > f.value, ">=": number >= f.value}.get(
            f.op, number < f.value if f.op == "<" else number <= f.value
        )
    if f.op in ("=", "=="):
        return have == f.value
    if f.op == "!=":
        return have != f.value
    if f.op == "|=":
        return f.value in have
    if f.op in ("=~", "|~"):
        full = f.op == "=~"
        return bool(re2.fullmatch(f.value, have) if full else re2.search(f.value, have))
    if f.op == "!~":
        return not (re2.fullmatch(f.value, have) if f.name else re2.search(f.value, have))
    raise AssertionError(f.op)


def evaluate(logql: str, streams: Sequence[Stream], minute: int) -> float | None:
    """The expression's value at the end of `minute` (0-based), None for an empty result (the rule does not fire)."""
    tree, queries = parse(logql)

    def count(query: LogQuery, range_minutes: int, offset_minutes: int) -> float | None:
        end = minute - offset_minutes + 1
        total, seen = 0, False
        for stream in streams:
            if all(_matches(f, stream.fields) for f in (*query.stream, *query.stages)):
                n = sum(stream.per_minute[max(0, end - range_minutes) : max(0, end)])
                total += n
                seen = seen or n > 0
        return float(total) if seen else None

    def minutes(delta: Any) -> int:
        return int(delta.total_seconds() // 60) if delta is not None else 0

    def walk(node: Any) -> float | None:
        kind = type(node).__name__
        if kind == "NumberLiteral":
            return float(node.val)
        if kind == "ParenExpr":
            return walk(node.expr)
        if kind == "AggregateExpr":
            assert str(node.op) == "sum" and node.modifier is None, node
            return walk(node.expr)
        if kind == "Call":
            name = node.func.name
            if name == "vector":
                return walk(node.args[0])
            selector = node.args[0]
            query = queries[int(selector.vector_selector.name.removeprefix("__log"))]
            n = count(query, minutes(selector.range), minutes(selector.vector_selector.offset))
            if name == "count_over_time":
                return n
            if name == "absent_over_time":
                return 1.0 if n is None else None
            raise AssertionError(f"no evaluator for {name}")
        if kind == "BinaryExpr":
            return _binary(str(node.op).strip(), walk(node.lhs), walk(node.rhs))
        raise AssertionError(f"no evaluator for {kind}")

    return walk(tree)


_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b if b else float("nan"),
}
_COMPARISON: dict[str, Callable[[float, float], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


def _binary(op: str, lhs: float | None, rhs: float | None) -> float | None:
    if op == "and":
        return lhs if rhs is not None else None
    if op == "or":
        return lhs if lhs is not None else rhs
    if lhs is None or rhs is None:
        return None
    if op in _ARITHMETIC:
        return _ARITHMETIC[op](lhs, rhs)
    return lhs if _COMPARISON[op](lhs, rhs) else None
