"""How big an aggregation tier runs: replicas from the daily volume's peak rate, and each replica's buffer volume
from the backlog of an outage window (the arithmetic is stated in docs/aggregation.md)."""

from __future__ import annotations

import math
from dataclasses import dataclass

# The busiest hour carries twice the mean hourly volume; a backlog is held at 1.5 times the mean (peaks and quiet
# hours of a long outage average out, a short one can fall on a peak).
PEAK_FACTOR = 2.0
BACKLOG_HEADROOM = 1.5
# What one Fluentd worker (one Ruby process) or one Logstash pipeline worker set sustains, with parsing and TLS.
MB_PER_SECOND_PER_REPLICA = 5.0
# The buffer may fill 90% of its volume: the rest is the file system's own room (metadata, the chunk being written).
BUFFER_FILL = 0.9
MIN_VOLUME_GIB = 10
MIN_REPLICAS = {"dev": 1, "staging": 2, "prod": 3}


@dataclass(frozen=True)
class AggregationSizing:
    replicas: int
    volume_gib: int  # each replica's PersistentVolumeClaim
    buffer_limit_mb: int  # what each replica's buffer (Fluentd total_limit_size, Logstash queue.max_bytes) may hold

    @property
    def buffer_limit(self) -> str:
        return f"{self.buffer_limit_mb}m"

    @property
    def volume(self) -> str:
        return f"{self.volume_gib}Gi"


def aggregation_sizing(environment: str, daily_volume_gb: int, outage_window_hours: int) -> AggregationSizing:
    peak_mb_per_second = daily_volume_gb * 1024 / 86400 * PEAK_FACTOR
    replicas = max(MIN_REPLICAS.get(environment, 1), math.ceil(peak_mb_per_second / MB_PER_SECOND_PER_REPLICA))
    backlog_gb = daily_volume_gb / 24 * outage_window_hours * BACKLOG_HEADROOM
    per_replica_gb = backlog_gb / replicas
    volume_gib = max(MIN_VOLUME_GIB, math.ceil(per_replica_gb / BUFFER_FILL))
    return AggregationSizing(replicas, volume_gib, math.floor(volume_gib * 1024 * BUFFER_FILL))
