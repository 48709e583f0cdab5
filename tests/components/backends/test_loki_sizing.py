"""Loki's sizing tiers: replicas and every component's requests and limits (Grafana's sizing page, Loki 3.7)."""

from __future__ import annotations

import pytest

from components.backends.loki_sizing import loki_sizing

# Every pod the Distributed chart runs, and what dev's Monolithic release runs.
DISTRIBUTED = {
    "ingester",
    "distributor",
    "querier",
    "queryFrontend",
    "queryScheduler",
    "indexGateway",
    "compactor",
    "ruler",
    "gateway",
    "chunksCache",
    "resultsCache",
    "memcachedExporter",
    "grafana",
}
MONOLITHIC = {"singleBinary", "gateway", "grafana"}


def test_loki_sizing_tiers() -> None:
    small, large = loki_sizing("prod", 2999), loki_sizing("prod", 3000)
    assert (small.replicas["ingester"], small.resources["ingester"]["requests"]) == (6, {"cpu": "2", "memory": "4Gi"})
    assert (large.replicas["ingester"], large.replicas["distributor"], large.replicas["querier"]) == (90, 40, 100)
    assert large.resources["ingester"]["requests"]["memory"] == "6Gi"
    assert loki_sizing("prod", 10).ingestion_rate_mb == 4  # Loki's default is the floor
    assert loki_sizing("prod", 2000).ingestion_rate_mb == 48  # 2000 GB/day is ~23.7 MB/s, twice that at peak
    assert loki_sizing("dev", 50).deployment_mode == "Monolithic"
    with pytest.raises(ValueError, match="30 TB/day"):
        loki_sizing("prod", 30001)


def test_every_component_has_requests_and_a_memory_limit_per_tier() -> None:
    small, large = loki_sizing("staging", 100), loki_sizing("prod", 5000)
    assert set(small.resources) == set(large.resources) == DISTRIBUTED
    assert set(loki_sizing("dev", 100).resources) == MONOLITHIC
    for sizing in (small, large, loki_sizing("dev", 100)):
        for key, sized in sizing.resources.items():
            assert set(sized["requests"]) == {"cpu", "memory"}, key
            # A memory limit (the chart sets GOMEMLIMIT from it), no CPU limit (throttling makes Loki fall behind).
            assert set(sized["limits"]) == {"memory"}, key
    # Grafana's sizing page, under 3 TB/day and 3-30 TB/day.
    assert small.resources["querier"]["requests"] == {"cpu": "1", "memory": "1Gi"}
    assert large.resources["querier"]["requests"] == {"cpu": "1500m", "memory": "2Gi"}
    assert small.resources["distributor"]["requests"] == {"cpu": "2", "memory": "512Mi"}
    assert (small.resources["compactor"]["requests"], large.resources["compactor"]["requests"]) == (
        {"cpu": "2", "memory": "10Gi"},
        {"cpu": "6", "memory": "20Gi"},
    )
    assert (small.replicas["indexGateway"], large.replicas["indexGateway"]) == (4, 10)
    assert (small.replicas["queryFrontend"], large.replicas["queryFrontend"]) == (2, 8)
