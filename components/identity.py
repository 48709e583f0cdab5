"""Workload identity: how a backend's Kubernetes service account reaches its store without static keys."""

from __future__ import annotations

from dataclasses import dataclass

from components.config import Backend

BACKEND_NAMESPACE = "logging"
COLLECTOR_NAMESPACE = "collectors"

# The Kubernetes service account each backend's pods run as: the store's cloud identity trusts exactly this.
BACKEND_SERVICE_ACCOUNTS: dict[Backend, str] = {"loki": "loki", "elk": "elasticsearch"}


@dataclass(frozen=True)
class ServiceAccountRef:
    namespace: str
    name: str

    @property
    def subject(self) -> str:
        """The IRSA token subject (`sub` claim)."""
        return f"system:serviceaccount:{self.namespace}:{self.name}"

    def gke_member(self, project: str) -> str:
        """The GKE Workload Identity principal for this service account."""
        return f"serviceAccount:{project}.svc.id.goog[{self.namespace}/{self.name}]"


def backend_service_account(backend: Backend) -> ServiceAccountRef:
    return ServiceAccountRef(BACKEND_NAMESPACE, BACKEND_SERVICE_ACCOUNTS[backend])
