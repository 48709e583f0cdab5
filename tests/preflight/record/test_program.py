"""A recording lists resources in one order whatever order the program's registrations settled in."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from preflight.record.program import in_stable_order
from preflight.record.recording import Registration


def _registration(urn: str, parent: str = "") -> Registration:
    return Registration(urn=urn, type="test:index:Thing", name=urn.rsplit("::", 1)[-1], custom=True, parent=parent, inputs={})


TREE = [
    _registration("urn:a"),
    _registration("urn:a$b", "urn:a"),
    _registration("urn:a$c", "urn:a"),
    _registration("urn:a$c$d", "urn:a$c"),
    _registration("urn:e"),
    _registration("urn:orphan", "urn:gone"),
]


@given(st.permutations(TREE))
def test_any_registration_order_gives_one_order_parents_first(shuffled: list[Registration]) -> None:
    ordered = in_stable_order(list(shuffled))
    assert [r.urn for r in ordered] == [r.urn for r in in_stable_order(TREE)]
    seen: set[str] = set()
    for r in ordered:
        assert r.parent not in {x.urn for x in TREE} or r.parent in seen, f"{r.urn} before its parent"
        seen.add(r.urn)
    assert len(ordered) == len(TREE)


def test_a_parent_cycle_loses_no_resource() -> None:
    cycle = [_registration("urn:x", "urn:y"), _registration("urn:y", "urn:x"), _registration("urn:z")]
    assert sorted(r.urn for r in in_stable_order(cycle)) == ["urn:x", "urn:y", "urn:z"]
