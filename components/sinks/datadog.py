"""The Datadog sink of one cluster: the API key in a Kubernetes Secret of the collectors namespace, which the
collector reads through a secretKeyRef environment variable (Fluent Bit's `datadog` output, fluent_bit_config.py).

Sending logs to a third party is a SOC 2 decision (C1.1, CC9.2): the pack's `external-log-destination-approved`
requires the destination to be approved in the policy config (docs/collectors.md#datadog)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.config.schema import ClusterConfig, DatadogConfig
from components.kubernetes import secret_key_env
from components.names import COLLECTOR_NAMESPACE

API_KEY_SECRET = "logmesh-datadog-api-key"
API_KEY_FIELD = "api-key"
API_KEY_ENV = "LOGMESH_DATADOG_API_KEY"
VENDOR = "datadog"
# Names the third party a resource sends to, so reports and the topology show it without parsing configs.
DESTINATION_ANNOTATION = "logmesh.io/external-destination"


def api_key_env() -> dict[str, Any]:
    """The collector container's environment variable holding the API key, from the Secret."""
    return secret_key_env(API_KEY_ENV, API_KEY_SECRET, API_KEY_FIELD)


@dataclass(frozen=True)
class DatadogSinkArgs:
    cluster: ClusterConfig
    datadog: DatadogConfig
    provider: k8s.Provider
    labels: dict[str, str]
    # The collectors namespace the Secret goes into.
    namespace: pulumi.Resource


class DatadogSink(pulumi.ComponentResource):
    """What a cluster needs to send its logs to Datadog: the API key as a Secret (never in values or ConfigMaps)."""

    intake_host: pulumi.Output[str]
    secret: k8s.core.v1.Secret

    def __init__(self, name: str, args: DatadogSinkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("logmesh:sinks:DatadogSink", name, None, opts)
        self.secret = k8s.core.v1.Secret(
            f"{name}-api-key",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=API_KEY_SECRET,
                namespace=COLLECTOR_NAMESPACE,
                labels=args.labels,
                annotations={DESTINATION_ANNOTATION: f"{VENDOR} {args.datadog.intake_host}"},
            ),
            type="Opaque",
            string_data={API_KEY_FIELD: pulumi.Output.secret(args.datadog.api_key)},
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.provider, depends_on=[args.namespace], additional_secret_outputs=["stringData", "data"]
            ),
        )
        self.intake_host = pulumi.Output.from_input(args.datadog.intake_host)
        self.register_outputs({"intake_host": self.intake_host})
