"""How big Loki runs for an environment and daily volume."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

# Grafana's published sizing (docs `setup/size`): < 3 TB/day and 3-30 TB/day. Components the table does not
# list keep the chart's distributed-values counts (2 query frontends, 2 schedulers, 2 index gateways).
SMALL_TIER_MAX_GB = 3000
LARGE_TIER_MAX_GB = 30000


@dataclass(frozen=True)
class LokiSizing:
    deployment_mode: Literal["Monolithic", "Distributed"]
    replication_factor: int
    replicas: Mapping[str, int]  # chart component key -> replicas
    ingester_cpu: str
    ingester_memory: str
    ingestion_rate_mb: int  # per tenant; a single cluster may carry the store's whole volume
    ingestion_burst_size_mb: int


def loki_sizing(environment: str, daily_volume_gb: int) -> LokiSizing:
    # Peak ingest is taken as twice the daily average; Loki's own default (4 MB/s) is the floor.
    average_mb_per_s = daily_volume_gb * 1024 / 86400
    rate = max(4, math.ceil(average_mb_per_s * 2))
    burst = max(6, math.ceil(rate * 1.5))
    if environment == "dev":
        return LokiSizing("Monolithic", 1, {"singleBinary": 1}, "2", "4Gi", rate, burst)
    if daily_volume_gb > LARGE_TIER_MAX_GB:
        raise ValueError(f"daily_volume_gb {daily_volume_gb} is beyond Grafana's largest published tier (30 TB/day)")
    if daily_volume_gb < SMALL_TIER_MAX_GB:
        counts, memory = {"ingester": 6, "distributor": 4, "querier": 10}, "4Gi"
    else:
        counts, memory = {"ingester": 90, "distributor": 40, "querier": 100}, "6Gi"
    replicas = {**counts, "compactor": 1, "queryFrontend": 2, "queryScheduler": 2, "indexGateway": 2}
    return LokiSizing("Distributed", 3, replicas, "2", memory, rate, burst)
