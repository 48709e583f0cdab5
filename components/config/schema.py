"""The stack schema: every `logmesh:*` key of a stack file, as typed, validated objects.

The checks across keys are in checks.py; loading.py reads and validates a stack with them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Annotated, Literal
from urllib.parse import urlsplit

import pulumi
from pydantic import BaseModel, ConfigDict, Field, model_validator

NAMESPACE = "logmesh"

Cloud = Literal["aws", "gcp"]
Environment = Literal["dev", "staging", "prod"]
Backend = Literal["loki", "elk"]
Mesh = Literal["istio", "linkerd", "none"]
Collector = Literal["fluent-bit", "alloy", "filebeat"]
# An optional tier between a store's collectors and its backend (components/aggregation/, docs/aggregation.md).
Aggregation = Literal["fluentd", "logstash"]
# Promtail reached end of life upstream on 2026-03-02; Grafana Alloy is its successor (docs/collectors.md#promtail).
RETIRED_COLLECTORS = {
    "promtail": "'promtail' reached end of life upstream on 2026-03-02 and is not offered; its successor is Grafana Alloy: "
    "set collector: alloy (Loki; `alloy convert --source-format=promtail` translates an existing Promtail config) or "
    "fluent-bit (docs/collectors.md#promtail)"
}
# Datadog's documented sites (docs.datadoghq.com/getting_started/site); logs go to `http-intake.logs.<site>`.
DATADOG_SITES = (
    "datadoghq.com",
    "us3.datadoghq.com",
    "us5.datadoghq.com",
    "datadoghq.eu",
    "ap1.datadoghq.com",
    "ap2.datadoghq.com",
    "ddog-gov.com",
)
# The collectors with a Datadog log output (Fluent Bit's `datadog` output plugin).
DATADOG_COLLECTORS = ("fluent-bit",)

# Lowercase RFC 1123 label: what Kubernetes, S3 and GCS all accept in a name part.
DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
AWS_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
AWS_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")
GCP_REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]$")
GCP_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
GCP_PROJECT_NUMBER = re.compile(r"^[0-9]{6,19}$")
# A lowercase DNS domain of at least two labels (the store's ingest host is `<store>.<domain>`).
DNS_DOMAIN = re.compile(r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]([a-z0-9-]*[a-z0-9])?$")
EKS_OIDC_PROVIDER_ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):iam::(?P<account>[0-9]{12}):oidc-provider/"
    r"(?P<issuer>oidc\.eks\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/id/[A-Za-z0-9]+)$"
)

# Bucket names are `<org>-<env>-<store>-logs` (S3 and GCS allow 63 characters); the longest
# environment is "staging", so org and store share 63 - len("-staging--logs") = 49.
MAX_ORG_LENGTH = 20
MAX_STORE_NAME_LENGTH = 29
MAX_CLUSTER_NAME_LENGTH = 40


class ConfigError(pulumi.RunError):
    """A stack configuration that cannot be deployed. `problems` holds one line per problem.

    Subclassing RunError makes the Pulumi CLI print the message without a stack trace."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid stack configuration:\n" + "\n".join(f"  - {p}" for p in problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


DnsName = Annotated[str, Field(pattern=DNS_LABEL.pattern, min_length=1, max_length=63)]


class RetentionConfig(_Strict):
    """Two numbers: how long logs stay queryable in the backend, and how long object storage keeps them."""

    hot_days: int = Field(ge=1, le=3650)
    archive_days: int = Field(ge=1, le=3650)
    immutable: bool

    @model_validator(mode="after")
    def _archive_covers_hot(self) -> RetentionConfig:
        if self.archive_days < self.hot_days:
            raise ValueError(
                f"archive_days ({self.archive_days}) must be >= hot_days ({self.hot_days}): "
                "object storage keeps logs at least as long as the backend"
            )
        return self


class _Identified(_Strict):
    """An entry with a stable `id` and a display `name`. The id names everything that must survive a rename: Pulumi's
    logical names (so URNs), bucket, key, role and trail names, tenants, data streams, labels, the ingest host and the
    references between entries (`store`, `cluster`, `kubeconfigs`). The name shows in descriptions and summaries only.
    Without an id, the name is the id: to rename an entry of a running stack, set `id` to its current name first."""

    id: str = ""  # replaced by the name when not given (after validation; an explicit id is validated as a DNS label)
    name: str

    @model_validator(mode="after")
    def _id_defaults_to_name(self) -> _Identified:
        if not self.id:
            object.__setattr__(self, "id", self.name)
        return self


class StoreConfig(_Identified):
    """One central log store: a key, a bucket and the backend that writes to it, in one cloud and region."""

    id: Annotated[DnsName, Field(max_length=MAX_STORE_NAME_LENGTH)] = ""
    name: Annotated[DnsName, Field(max_length=MAX_STORE_NAME_LENGTH)]
    cloud: Cloud
    region: str
    cluster: DnsName
    account_id: str | None = None
    project: str | None = None
    project_number: str | None = None
    # Collectors forward to this tier next to the backend, which buffers on persistent volumes and writes on.
    aggregation: Aggregation | None = None


class ClusterConfig(_Identified):
    """One Kubernetes cluster whose logs are collected and shipped to a store."""

    id: Annotated[DnsName, Field(max_length=MAX_CLUSTER_NAME_LENGTH)] = ""
    name: Annotated[DnsName, Field(max_length=MAX_CLUSTER_NAME_LENGTH)]
    cloud: Cloud
    region: str
    context: str = Field(min_length=1)
    mesh: Mesh = "none"
    # Namespaces whose mesh access logs are turned on: Linkerd logs only opted-in namespaces (annotation); for Istio
    # an empty list means mesh-wide (Telemetry in istio-system), otherwise one Telemetry per namespace.
    mesh_namespaces: list[DnsName] = Field(default_factory=list)
    collector: Collector = "fluent-bit"
    store: DnsName | None = None
    oidc_provider_arn: str | None = None
    project: str | None = None

    @property
    def oidc_issuer(self) -> str:
        """The EKS OIDC issuer host path (`oidc.eks.<region>.amazonaws.com/id/<ID>`), used in IRSA conditions."""
        match = EKS_OIDC_PROVIDER_ARN.match(self.oidc_provider_arn or "")
        if match is None:
            raise ValueError(f"cluster {self.name} has no EKS OIDC provider ARN")
        return match.group("issuer")


class AlertingConfig(_Strict):
    """Where fired alerts go: an Alertmanager (v2 API) the Loki ruler posts to. Credentials are optional and, when
    set, make the whole `logmesh:alerting` key a Pulumi secret; they reach the cluster only in a Kubernetes Secret."""

    alertmanager_url: str = Field(min_length=1, max_length=500)
    # Sent as `Authorization: Bearer <token>`, or `Authorization: Basic` from username and password.
    bearer_token: str | None = Field(default=None, min_length=1, repr=False)
    username: str | None = Field(default=None, min_length=1, repr=False)
    password: str | None = Field(default=None, min_length=1, repr=False)

    @property
    def has_credentials(self) -> bool:
        return self.bearer_token is not None or self.password is not None

    @property
    def host(self) -> str:
        return urlsplit(self.alertmanager_url).hostname or ""

    @property
    def port(self) -> int:
        parts = urlsplit(self.alertmanager_url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    @property
    def in_cluster_namespace(self) -> str | None:
        """The namespace of an in-cluster Service URL (`<service>.<namespace>.svc[.cluster.local]`), else None."""
        labels = self.host.split(".")
        if len(labels) >= 3 and labels[2] == "svc" and labels[3:] in ([], ["cluster", "local"]):
            return labels[1]
        return None


class DatadogConfig(_Strict):
    """The optional Datadog sink: the clusters (listed, or shipping to a listed store; none listed: every cluster)
    whose collector also sends every log, parsed, to Datadog's intake of `site`. The API key is a secret only."""

    site: str
    api_key: str = Field(min_length=1, repr=False)
    clusters: list[DnsName] = Field(default_factory=list)
    stores: list[DnsName] = Field(default_factory=list)

    @property
    def intake_host(self) -> str:
        return f"http-intake.logs.{self.site}"

    def selects(self, cluster: ClusterConfig) -> bool:
        if not self.clusters and not self.stores:
            return True
        return cluster.id in self.clusters or cluster.store in self.stores


class TracingConfig(_Strict):
    """Distributed tracing: Jaeger beside each store's backend, and the meshes' proxies sending it spans."""

    # Percentage of requests the Istio proxies start a trace for (Telemetry randomSamplingPercentage); Linkerd
    # follows the sampling decision of the caller's traceparent.
    sampling_percent: float = Field(default=1.0, ge=0, le=100)


class StackShape(_Strict):
    environment: Environment
    org: Annotated[DnsName, Field(max_length=MAX_ORG_LENGTH)]
    backend: Backend = "loki"
    retention: RetentionConfig
    stores: list[StoreConfig] = Field(min_length=1)
    clusters: list[ClusterConfig] = Field(min_length=1)
    # Log volume each store's backend is sized for (Loki follows Grafana's published tiers, up to 30 TB/day).
    daily_volume_gb: int = Field(default=100, ge=1, le=30000)
    # How long a backend may be down before an aggregation tier loses logs: sizes the tier's buffers.
    outage_window_hours: int = Field(default=6, ge=1, le=168)
    # DNS domain under which each store's ingest endpoint is published (`<store>.<domain>`) on an internal load
    # balancer; required when a cluster ships to a backend that runs in another cluster.
    ingest_domain: str | None = Field(default=None, pattern=DNS_DOMAIN.pattern, max_length=200)
    # cluster name -> kubeconfig content; set with `pulumi config set --secret --path 'logmesh:kubeconfigs.<cluster>'`.
    # Clusters not listed use the ambient kubeconfig (KUBECONFIG) and their `context`.
    kubeconfigs: dict[str, Annotated[str, Field(min_length=1)]] = Field(default_factory=dict)
    # The Alertmanager the Loki ruler sends fired alerts to; required in prod with Loki. Without it Loki rules only
    # evaluate. Kibana (ELK) records fired alerts in Elasticsearch and calls no Alertmanager on a free licence.
    alerting: AlertingConfig | None = None
    # Sends logs to Datadog as well (a third party: the policy pack requires an approval, docs/collectors.md#datadog).
    datadog: DatadogConfig | None = None
    # Jaeger per store and mesh spans; absent: no tracing.
    tracing: TracingConfig | None = None


class PlatformConfig(BaseModel):
    """A validated stack: every cross-reference resolved (each cluster's `store` is set)."""

    model_config = ConfigDict(frozen=True)

    environment: Environment
    org: str
    backend: Backend
    retention: RetentionConfig
    stores: tuple[StoreConfig, ...]
    clusters: tuple[ClusterConfig, ...]
    daily_volume_gb: int = 100
    outage_window_hours: int = 6
    ingest_domain: str | None = None
    kubeconfigs: dict[str, str] = Field(default_factory=dict, repr=False)
    alerting: AlertingConfig | None = None
    datadog: DatadogConfig | None = None

    def sends_to_datadog(self, cluster: ClusterConfig) -> bool:
        return self.datadog is not None and self.datadog.selects(cluster)

    tracing: TracingConfig | None = None

    def store(self, name: str) -> StoreConfig:
        return next(s for s in self.stores if s.id == name)

    def cluster(self, name: str) -> ClusterConfig:
        return next(c for c in self.clusters if c.id == name)

    def clusters_of(self, store: StoreConfig) -> list[ClusterConfig]:
        """The clusters that ship their logs to `store`."""
        return [c for c in self.clusters if c.store == store.id]

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"


KNOWN_KEYS = tuple(StackShape.model_fields)


_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def key_path(loc: Iterable[int | str]) -> str:
    """`logmesh:clusters[1].mesh`; a key that is not a plain word is quoted: `logmesh:clusters[0][""]`."""
    path = NAMESPACE
    for i, part in enumerate(loc):
        if isinstance(part, int):
            path += f"[{part}]"
        elif _PLAIN_KEY.match(str(part)):
            path += (":" if i == 0 else ".") + str(part)
        else:
            path += (":" if i == 0 else "") + f"[{json.dumps(str(part))}]"
    return path
