"""The tier's replicas and buffer sizes from the daily volume and the outage window (docs/aggregation.md)."""

from __future__ import annotations

import pytest

from components.aggregation.sizing import aggregation_sizing


def test_default_volume_and_window() -> None:
    # 100 GB/day, 6 h: 100 / 24 * 6 * 1.5 = 37.5 GB to hold, over 2 replicas = 18.75 GB each, / 0.9 -> a 21 GiB volume.
    sizing = aggregation_sizing("staging", 100, 6)
    assert (sizing.replicas, sizing.volume_gib, sizing.buffer_limit_mb) == (2, 21, 19353)


def test_dev_runs_one_replica_and_prod_at_least_three() -> None:
    assert aggregation_sizing("dev", 10, 6).replicas == 1
    assert aggregation_sizing("prod", 10, 6).replicas == 3


def test_volume_drives_replicas_and_window_drives_buffers() -> None:
    # 30 TB/day peaks at 30000 * 1024 / 86400 * 2 = 711 MB/s: 143 replicas of 5 MB/s.
    assert aggregation_sizing("prod", 30000, 6).replicas == 143
    short, long = aggregation_sizing("prod", 500, 1), aggregation_sizing("prod", 500, 48)
    assert short.replicas == long.replicas
    assert long.volume_gib > 40 * short.volume_gib // 48


@pytest.mark.parametrize("volume, hours", [(1, 1), (100, 6), (500, 24), (30000, 168)])
def test_the_buffer_limit_fits_the_volume_and_the_replicas_hold_the_backlog(volume: int, hours: int) -> None:
    sizing = aggregation_sizing("prod", volume, hours)
    assert sizing.buffer_limit_mb <= sizing.volume_gib * 1024 * 0.9
    assert sizing.buffer_limit_mb * sizing.replicas >= volume / 24 * hours * 1.5 * 1000
    assert sizing.volume_gib >= 10
