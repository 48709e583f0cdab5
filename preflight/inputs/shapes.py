"""Shapes of parsed input: a mapping where one is expected, and a state export's parent links free of cycles."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn

from preflight.errors import InputError


def _kind(value: object) -> str:
    if value is None:
        return "null (an empty file?)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def expect_mapping(value: object, what: str, key_path: str = "") -> dict[str, Any]:
    """`value` if it is a mapping with string keys; else an InputError saying what was found.

    `what` names the file ("stack file stacks/Pulumi.prod.yaml"); `key_path` where in it `value` sits ("" = top level).
    """
    where = f" at {key_path}" if key_path else " at the top level"
    if not isinstance(value, dict):
        raise InputError(
            f"{what}:{where}: expected a mapping (`key: value` lines), found {_kind(value)}; fix its structure",
            path=what,
            key_path=key_path or None,
        )
    for key in value:
        if not isinstance(key, str):
            raise InputError(f"{what}:{where}: key {key!r} is {_kind(key)}, not a string; quote it", path=what, key_path=key_path or None)
    return value


# --------------------------------------------------------------------------------------------------------- state


def check_parent_graph(resources: Iterable[tuple[str, str | None]], where: str = "state export") -> None:
    """Refuses a cycle in the resources' parent links (a self-parent included): O(resources), no recursion.

    `resources`: (urn, parent urn or None/""). A parent that is not among the URNs ends the chain (checking for unknown
    parents is the caller's call). A URN listed twice (a pending replacement) keeps every parent it is given.
    The cycle is named child first: `a -> b -> a` means b is a's parent and a is b's.
    """
    parent_of: dict[str, str] = {}  # "" = no parent; only strings, so the garbage collector never walks it
    extra: list[tuple[str, str]] = []  # further, different parents of a URN listed again
    for urn, parent in resources:
        parent = parent or ""
        if parent == urn:
            raise InputError(f"{where}: resource {urn} is its own parent; fix or remove its `parent`", path=where)
        known = parent_of.get(urn)
        if known is None or known == "":
            parent_of[urn] = parent
        elif parent and parent != known:
            extra.append((urn, parent))
    if extra:
        _check_parent_multigraph(parent_of, extra, where)
        return
    walk_of: dict[str, int] = {}  # URN -> the walk that first reached it
    for walk_id, start in enumerate(parent_of):
        if start in walk_of:
            continue
        walk: list[str] = []
        node = start
        while node in parent_of:  # "" and unknown parents end the chain
            reached = walk_of.get(node)
            if reached is not None:
                if reached == walk_id:
                    _cycle([*walk[walk.index(node) :], node], where)
                break
            walk_of[node] = walk_id
            walk.append(node)
            node = parent_of[node]


def _cycle(cycle: list[str], where: str) -> NoReturn:
    raise InputError(f"{where}: resources form a parent cycle: {' -> '.join(cycle)}; fix the `parent` of one of them", path=where)


def _check_parent_multigraph(parent_of: dict[str, str], extra: list[tuple[str, str]], where: str) -> None:
    """check_parent_graph's general case, some URN having two parents: an iterative depth-first search."""
    parents: dict[str, list[str]] = {urn: [parent] if parent else [] for urn, parent in parent_of.items()}
    for urn, parent in extra:
        parents[urn].append(parent)
    done: set[str] = set()
    for start in parents:
        if start in done:
            continue
        chain: list[str] = [start]
        on_chain: dict[str, int] = {start: 0}
        pending: list[list[str]] = [list(parents[start])]
        while chain:
            if not pending[-1]:
                finished = chain.pop()
                pending.pop()
                del on_chain[finished]
                done.add(finished)
                continue
            nxt = pending[-1].pop()
            if nxt in done or nxt not in parents:
                continue
            if nxt in on_chain:
                _cycle([*chain[on_chain[nxt] :], nxt], where)
            on_chain[nxt] = len(chain)
            chain.append(nxt)
            pending.append(list(parents[nxt]))
