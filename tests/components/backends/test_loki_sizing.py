"""Loki's sizing tiers."""

from __future__ import annotations

import pytest

from components.backends.loki_sizing import loki_sizing


def test_loki_sizing_tiers() -> None:
    small, large = loki_sizing("prod", 2999), loki_sizing("prod", 3000)
    assert (small.replicas["ingester"], small.ingester_memory) == (6, "4Gi")
    assert (large.replicas["ingester"], large.replicas["distributor"], large.replicas["querier"], large.ingester_memory) == (
        90,
        40,
        100,
        "6Gi",
    )
    assert loki_sizing("prod", 10).ingestion_rate_mb == 4  # Loki's default is the floor
    assert loki_sizing("prod", 2000).ingestion_rate_mb == 48  # 2000 GB/day is ~23.7 MB/s, twice that at peak
    assert loki_sizing("dev", 50).deployment_mode == "Monolithic"
    with pytest.raises(ValueError, match="30 TB/day"):
        loki_sizing("prod", 30001)
