"""The benchmark's generated fleets are valid stacks spread over both clouds and several stores."""

from __future__ import annotations

import pytest

from components.config.loading import parse_config
from preflight.bench import REPO_ROOT, _floor, _full_preflight, generate_stack, store_count
from preflight.record.project import load_project


@pytest.mark.parametrize("clusters", [1, 10, 50, 200, 500])
def test_generated_fleet_is_a_valid_stack(clusters: int) -> None:
    config = parse_config({k.removeprefix("logmesh:"): v for k, v in generate_stack(clusters).items()})
    assert len(config.clusters) == clusters
    assert len(config.stores) == store_count(clusters)
    if clusters >= 2:
        assert {s.cloud for s in config.stores} == {"aws", "gcp"}
    assert {c.store for c in config.clusters} == {s.name for s in config.stores}


def test_floor_and_full_preflight_record_the_same_fleet() -> None:
    project = load_project(REPO_ROOT)
    config = generate_stack(4)
    assert _floor(project, config) == _full_preflight(project, config) > 4 * 10
