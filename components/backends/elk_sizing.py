"""How big Elasticsearch and Kibana run for an environment, daily volume and retention, as plain data."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from components.backends.loki_sizing import resources

# Elastic's hot-tier hardware profiles keep about 1 GB of memory per 30 GB of disk and one vCPU per 4 GB of memory
# (Elastic Cloud general purpose); half the memory is heap. One node's memory stays between 8 Gi and 64 Gi (a heap
# above ~31 GB loses compressed object pointers).
MEMORY_PER_DISK = 30
MEMORY_PER_CPU = 4
MIN_NODE_MEMORY_GI = 8
MAX_NODE_MEMORY_GI = 64
# Kibana's documented default memory is 1 GB of heap on a 2 GB container.
KIBANA = resources("500m", "2Gi")


@dataclass(frozen=True)
class ElasticsearchSizing:
    nodes: int
    index_replicas: int
    data_volume_gi: int  # per node
    resources: dict[str, Any]  # the elasticsearch container's
    kibana_resources: dict[str, Any]


def elasticsearch_sizing(environment: str, daily_volume_gb: int, retention_days: int) -> ElasticsearchSizing:
    """The hot data (daily volume x retention x copies, plus 25% headroom) over the nodes sets each node's disk, and its
    memory and CPU by the ratios above. One node in dev; elsewhere at least three (one replica of every shard), more
    once a node would need more than the largest memory for its share."""
    index_replicas = 0 if environment == "dev" else 1
    total = daily_volume_gb * retention_days * (1 + index_replicas) * 1.25
    nodes = 1 if environment == "dev" else max(3, math.ceil(total / (MAX_NODE_MEMORY_GI * MEMORY_PER_DISK)))
    disk = max(10, math.ceil(total / nodes))
    memory = min(MAX_NODE_MEMORY_GI, max(MIN_NODE_MEMORY_GI, math.ceil(disk / MEMORY_PER_DISK)))
    cpu = max(1, math.ceil(memory / MEMORY_PER_CPU))
    return ElasticsearchSizing(nodes, index_replicas, disk, resources(str(cpu), f"{memory}Gi"), dict(KIBANA))
