"""What the rest of the platform knows of a store's tracing: the span path's address and CA, and the query URL."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class TracingLink:
    """Where and how a store's spans arrive, and where Grafana queries them."""

    store: str
    host: str  # the receivers' TLS server name
    zipkin_port: int
    otlp_grpc_port: int
    query_url: str
    ca_pem: pulumi.Output[str]
