"""Log backends on Kubernetes: Grafana Loki (default) or Elasticsearch + Kibana through ECK.

CONTRACT (used by components/platform.py and components/collectors.py; keep it stable):

    BackendArgs(platform, store_config, store: LogStore, cluster, provider: k8s.Provider)
    LokiBackend / ElkBackend(name, args, opts) -> a LogBackend with
        endpoint: BackendEndpoint   where and how collectors ship to this backend
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi


@dataclass(frozen=True)
class BackendEndpoint:
    """What a collector in any cluster needs to ship to a store's backend over verified TLS."""

    store: str
    kind: Literal["loki", "elk"]
    host: pulumi.Input[str]  # DNS name the collectors connect to (TLS server name)
    port: int
    path: str  # push path: /loki/api/v1/push for Loki; "" for Elasticsearch
    ca_pem: pulumi.Output[str]  # CA certificate that signed the endpoint's serving certificate
    username: pulumi.Input[str]
    password: pulumi.Output[str]  # a Pulumi secret; lives only in Kubernetes Secrets on the clusters
