"""A recording lists resources, and each resource's dependencies, in one order whatever order the program's
registrations settled in."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from preflight.record.program import in_stable_order, record_program
from preflight.record.recording import Registration
from tests.preflight.conftest import write_project


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


def test_dependencies_are_recorded_sorted(tmp_path: Path) -> None:
    """The SDK lists a resource's dependencies from a set (pulumi/runtime/resource.py), in an order that varies with
    the process's hash seed; the recording, the policies' joins and the report's diagram must not."""
    program = "import pulumi\nimport pulumi_aws as aws\nbuckets = [aws.s3.Bucket(f'b{i}') for i in range(8)]\n"
    program += "aws.s3.Bucket('uses-all', tags={b._name: b.bucket for b in buckets}, opts=pulumi.ResourceOptions(depends_on=buckets))\n"
    recording = record_program(write_project(tmp_path / "deps", program), "outside", "dev", {})
    [user] = [r for r in recording.resources if r.name == "uses-all"]
    assert len(user.dependencies) == 8 and user.dependencies == sorted(user.dependencies)
    assert user.property_dependencies["tags"] == sorted(user.property_dependencies["tags"])
    assert len(user.property_dependencies["tags"]) == 8
