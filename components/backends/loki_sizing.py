"""How big Loki (and the Grafana beside it) runs for an environment and daily volume: replicas and each component's
requests and limits, as plain data."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

# Grafana's published sizing (Loki 3.7 docs `setup/size`, Distributed mode): under 3 TB/day and 3-30 TB/day.
SMALL_TIER_MAX_GB = 3000
LARGE_TIER_MAX_GB = 30000

# (replicas, CPU request, memory request) per chart component key, from that page's two tiers.
_TIERS: dict[str, dict[str, tuple[int, str, str]]] = {
    "small": {
        "ingester": (6, "2", "4Gi"),
        "distributor": (4, "2", "512Mi"),
        "indexGateway": (4, "500m", "2Gi"),
        "querier": (10, "1", "1Gi"),
        "queryFrontend": (2, "1", "2Gi"),
        "queryScheduler": (2, "1", "512Mi"),
        "compactor": (1, "2", "10Gi"),
    },
    "large": {
        "ingester": (90, "2", "6Gi"),
        "distributor": (40, "2", "1Gi"),
        "indexGateway": (10, "500m", "4Gi"),
        "querier": (100, "1500m", "2Gi"),
        "queryFrontend": (8, "1", "2Gi"),
        "queryScheduler": (2, "1", "512Mi"),
        "compactor": (1, "6", "20Gi"),
    },
}
# What the page gives nothing for, logmesh's own figures: the nginx gateway (a proxy: little CPU, small buffers), the
# ruler (evaluates a handful of LogQL rules per tenant, like a querier), the memcached caches (the chart's own request:
# 1.2 x allocatedMemory, its defaults 8192 MB for chunks and 1024 MB for results) and their exporter sidecar.
GATEWAY = ("100m", "128Mi", "256Mi")
RULER = ("500m", "1Gi", "1Gi")
CHUNKS_CACHE = ("500m", "9830Mi", "9830Mi")
RESULTS_CACHE = ("500m", "1229Mi", "1229Mi")
MEMCACHED_EXPORTER = ("50m", "64Mi", "128Mi")
# Grafana 13.2's documented minimum: 512 MB of memory and one CPU core.
GRAFANA = ("1", "512Mi", "1Gi")
# Dev runs one Monolithic Loki with the small tier's ingester figures.
SINGLE_BINARY = ("2", "4Gi", "4Gi")


def resources(cpu: str, memory: str, memory_limit: str | None = None) -> dict[str, Any]:
    """A container's resources: requests, and a memory limit (the request unless given; the chart derives GOMEMLIMIT
    from it). No CPU limit: a throttled ingester or querier falls behind, and the request already reserves the CPU."""
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": memory_limit or memory}}


@dataclass(frozen=True)
class LokiSizing:
    deployment_mode: Literal["Monolithic", "Distributed"]
    replication_factor: int
    replicas: Mapping[str, int]  # chart component key -> replicas
    resources: Mapping[str, Mapping[str, Any]]  # chart component key (and "grafana") -> container resources
    ingestion_rate_mb: int  # per tenant; a single cluster may carry the store's whole volume
    ingestion_burst_size_mb: int


def tier(daily_volume_gb: int) -> str:
    if daily_volume_gb > LARGE_TIER_MAX_GB:
        raise ValueError(f"daily_volume_gb {daily_volume_gb} is beyond Grafana's largest published tier (30 TB/day)")
    return "small" if daily_volume_gb < SMALL_TIER_MAX_GB else "large"


def loki_sizing(environment: str, daily_volume_gb: int) -> LokiSizing:
    # Peak ingest is taken as twice the daily average; Loki's own default (4 MB/s) is the floor.
    average_mb_per_s = daily_volume_gb * 1024 / 86400
    rate = max(4, math.ceil(average_mb_per_s * 2))
    burst = max(6, math.ceil(rate * 1.5))
    shared = {"gateway": resources(*GATEWAY), "grafana": resources(*GRAFANA)}
    if environment == "dev":
        return LokiSizing("Monolithic", 1, {"singleBinary": 1}, {"singleBinary": resources(*SINGLE_BINARY), **shared}, rate, burst)
    figures = _TIERS[tier(daily_volume_gb)]
    replicas = {key: count for key, (count, _, _) in figures.items()}
    sized = {key: resources(cpu, memory) for key, (_, cpu, memory) in figures.items()}
    sized |= {
        "ruler": resources(*RULER),
        "chunksCache": resources(*CHUNKS_CACHE),
        "resultsCache": resources(*RESULTS_CACHE),
        "memcachedExporter": resources(*MEMCACHED_EXPORTER),
        **shared,
    }
    return LokiSizing("Distributed", 3, replicas, sized, rate, burst)
