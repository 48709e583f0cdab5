"""The stack schema: every `logmesh:*` key of a stack file, as typed, validated objects.

`load_config()` is the only way the program reads configuration. It either returns a complete
`PlatformConfig` or raises `ConfigError` listing every problem, one line each, before any resource
is registered.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import pulumi
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

NAMESPACE = "logmesh"

Cloud = Literal["aws", "gcp"]
Environment = Literal["dev", "staging", "prod"]
Backend = Literal["loki", "elk"]
Mesh = Literal["istio", "linkerd", "none"]
Collector = Literal["fluent-bit", "alloy", "filebeat"]

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
        super().__init__(
            "invalid stack configuration:\n" + "\n".join(f"  - {p}" for p in problems)
        )


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


class StoreConfig(_Strict):
    """One central log store: a key, a bucket and the backend that writes to it, in one cloud and region."""

    name: Annotated[DnsName, Field(max_length=MAX_STORE_NAME_LENGTH)]
    cloud: Cloud
    region: str
    cluster: DnsName
    account_id: str | None = None
    project: str | None = None
    project_number: str | None = None


class ClusterConfig(_Strict):
    """One Kubernetes cluster whose logs are collected and shipped to a store."""

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


SECRET_ALERTING_FIELDS = ("bearer_token", "password")


def _check_alerting(alerting: AlertingConfig | None, environment: str, backend: str, secret: bool) -> list[str]:
    path = f"{NAMESPACE}:alerting"
    example = "such as http://alertmanager-operated.monitoring.svc.cluster.local:9093"
    if alerting is None:
        if environment == "prod" and backend == "loki":
            return [
                f"{path}: required key is missing in prod (SOC 2 CC7.3: fired alerts must reach responders); "
                f"set alertmanager_url, {example}"
            ]
        return []
    problems: list[str] = []
    url = alerting.alertmanager_url
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = urlsplit(""), False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        problems.append(f"{path}.alertmanager_url: must be an http or https URL of an Alertmanager, {example} (got {url!r})")
    elif parts.username is not None or parts.password is not None:
        problems.append(
            f"{path}.alertmanager_url: must not carry credentials; set username and password (or bearer_token) "
            "as secrets instead"
        )
    elif parts.query or parts.fragment:
        problems.append(f"{path}.alertmanager_url: must have no query or fragment; the ruler appends /api/v2/alerts (got {url!r})")
    elif alerting.has_credentials and parts.scheme != "https":
        problems.append(f"{path}.alertmanager_url: must be https when credentials are set, so they never cross the network in clear")
    if alerting.bearer_token is not None and (alerting.username is not None or alerting.password is not None):
        problems.append(f"{path}.bearer_token: set either bearer_token or username and password, not both")
    elif (alerting.username is None) != (alerting.password is None):
        missing = "password" if alerting.password is None else "username"
        problems.append(f"{path}.{missing}: required with {'username' if missing == 'password' else 'password'} (basic auth)")
    if not secret:
        problems += [
            f"{path}.{field}: holds credentials and must be a secret; set it with "
            f"`pulumi config set --secret --path '{path}.{field}' <value>`"
            for field in SECRET_ALERTING_FIELDS
            if getattr(alerting, field) is not None
        ]
    return problems


class _StackShape(_Strict):
    environment: Environment
    org: Annotated[DnsName, Field(max_length=MAX_ORG_LENGTH)]
    backend: Backend = "loki"
    retention: RetentionConfig
    stores: list[StoreConfig] = Field(min_length=1)
    clusters: list[ClusterConfig] = Field(min_length=1)
    # Log volume each store's backend is sized for (Loki follows Grafana's published tiers, up to 30 TB/day).
    daily_volume_gb: int = Field(default=100, ge=1, le=30000)
    # DNS domain under which each store's ingest endpoint is published (`<store>.<domain>`) on an internal load
    # balancer; required when a cluster ships to a backend that runs in another cluster.
    ingest_domain: str | None = Field(default=None, pattern=DNS_DOMAIN.pattern, max_length=200)
    # cluster name -> kubeconfig content; set with `pulumi config set --secret --path 'logmesh:kubeconfigs.<cluster>'`.
    # Clusters not listed use the ambient kubeconfig (KUBECONFIG) and their `context`.
    kubeconfigs: dict[str, Annotated[str, Field(min_length=1)]] = Field(default_factory=dict)
    # The Alertmanager the Loki ruler sends fired alerts to; required in prod with Loki. Without it Loki rules only
    # evaluate. Kibana (ELK) records fired alerts in Elasticsearch and calls no Alertmanager on a free licence.
    alerting: AlertingConfig | None = None


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
    ingest_domain: str | None = None
    kubeconfigs: dict[str, str] = Field(default_factory=dict, repr=False)
    alerting: AlertingConfig | None = None

    def store(self, name: str) -> StoreConfig:
        return next(s for s in self.stores if s.name == name)

    def cluster(self, name: str) -> ClusterConfig:
        return next(c for c in self.clusters if c.name == name)

    def clusters_of(self, store: StoreConfig) -> list[ClusterConfig]:
        """The clusters that ship their logs to `store`."""
        return [c for c in self.clusters if c.store == store.name]

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"


KNOWN_KEYS = tuple(_StackShape.model_fields)


_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def _key_path(loc: Iterable[int | str]) -> str:
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


def _describe(error: Mapping[str, Any]) -> str:
    # Pydantic's locations for model validators end in a synthetic part; keep the key path only.
    loc = [p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return f"{_key_path(loc)}: unknown key; remove it or check its spelling"
    if error["type"] == "missing":
        return f"{_key_path(loc)}: required key is missing"
    if error["type"] == "string_pattern_mismatch":
        message = "must be a lowercase DNS label (a-z, 0-9 and '-', starting and ending with a letter or digit)"
        if loc and loc[-1] == "ingest_domain":
            message = "must be a lowercase DNS domain of two or more labels, such as logs.example.internal"
    got = error.get("input")
    shown = "" if isinstance(got, (dict, list)) or error["type"] == "model_type" else f" (got {got!r})"
    return f"{_key_path(loc)}: {message}{shown}"


def _require(value: str | None, pattern: re.Pattern[str], path: str, what: str) -> list[str]:
    if value is None:
        return [f"{path}: required key is missing ({what})"]
    if not pattern.match(value):
        return [f"{path}: {value!r} is not {what}"]
    return []


def _check_cloud_fields(stack: _StackShape) -> list[str]:
    problems: list[str] = []
    for i, store in enumerate(stack.stores):
        path = f"{NAMESPACE}:stores[{i}]"
        if store.cloud == "aws":
            problems += _require(store.account_id, AWS_ACCOUNT_ID, f"{path}.account_id", "a 12-digit AWS account id")
            problems += _require(store.region, AWS_REGION, f"{path}.region", "an AWS region such as eu-west-1")
            for extra in ("project", "project_number"):
                if getattr(store, extra) is not None:
                    problems.append(f"{path}.{extra}: only for gcp stores; remove it or set cloud: gcp")
        else:
            problems += _require(store.project, GCP_PROJECT, f"{path}.project", "a GCP project id")
            problems += _require(
                store.project_number, GCP_PROJECT_NUMBER, f"{path}.project_number", "a numeric GCP project number (quote it)"
            )
            problems += _require(store.region, GCP_REGION, f"{path}.region", "a GCP region such as europe-west1")
            if store.account_id is not None:
                problems.append(f"{path}.account_id: only for aws stores; remove it or set cloud: aws")
    for i, cluster in enumerate(stack.clusters):
        path = f"{NAMESPACE}:clusters[{i}]"
        if cluster.cloud == "aws":
            problems += _require(
                cluster.oidc_provider_arn,
                EKS_OIDC_PROVIDER_ARN,
                f"{path}.oidc_provider_arn",
                "an EKS OIDC provider ARN (arn:<aws|aws-cn|aws-us-gov>:iam::<account>:oidc-provider/"
                "oidc.eks.<region>.amazonaws.com[.cn]/id/<ID>)",
            )
            problems += _require(cluster.region, AWS_REGION, f"{path}.region", "an AWS region such as eu-west-1")
            if cluster.project is not None:
                problems.append(f"{path}.project: only for gcp (GKE) clusters; remove it or set cloud: gcp")
        else:
            problems += _require(cluster.project, GCP_PROJECT, f"{path}.project", "a GCP project id")
            problems += _require(cluster.region, GCP_REGION, f"{path}.region", "a GCP region such as europe-west1")
            if cluster.oidc_provider_arn is not None:
                problems.append(f"{path}.oidc_provider_arn: only for aws (EKS) clusters; remove it or set cloud: aws")
    return problems


def _copied_entries(stack: _StackShape) -> list[str]:
    """What a stack entry copied from another and only renamed gets wrong: it still points at the other's cluster
    (kubeconfig context, OIDC provider of another region) or project."""
    problems: list[str] = []
    contexts: dict[str, int] = {}
    for i, cluster in enumerate(stack.clusters):
        if cluster.name in stack.kubeconfigs:
            continue  # its own kubeconfig: a context name like `default` can repeat across kubeconfigs
        j = contexts.setdefault(cluster.context, i)
        if j != i:
            problems.append(
                f"{NAMESPACE}:clusters[{i}].context: {cluster.context!r} is already the context of clusters[{j}] "
                f"({stack.clusters[j].name}); two entries would deploy two collectors into one cluster: give each cluster "
                f"its own context (or its own {NAMESPACE}:kubeconfigs entry)"
            )
        match = EKS_OIDC_PROVIDER_ARN.match(cluster.oidc_provider_arn or "")
        if cluster.cloud == "aws" and match and match.group("region") != cluster.region:
            problems.append(
                f"{NAMESPACE}:clusters[{i}].oidc_provider_arn: the OIDC provider is in {match.group('region')}, but the "
                f"cluster is in {cluster.region}; use this cluster's issuer (aws eks describe-cluster --name <cluster> "
                f"--region {cluster.region} --query cluster.identity.oidc.issuer)"
            )
    projects: dict[str, int] = {}
    for i, store in enumerate(stack.stores):
        if store.cloud != "gcp" or store.project is None:
            continue
        j = projects.setdefault(store.project, i)
        if j != i:
            problems.append(
                f"{NAMESPACE}:stores[{i}].project: {store.project!r} already holds stores[{j}] ({stack.stores[j].name}); "
                "a GCP store owns its project's Data Access audit configuration (storage, cloudkms), and retiring one "
                "of two stores would turn it off for both: put each GCP store in its own project"
            )
    return problems


def _duplicates(names: list[str], key: str) -> list[str]:
    seen: dict[str, int] = {}
    problems = []
    for i, name in enumerate(names):
        if name in seen:
            problems.append(f"{NAMESPACE}:{key}[{i}].name: {name!r} is already used by {key}[{seen[name]}]; names must be unique")
        seen.setdefault(name, i)
    return problems


def _resolve(stack: _StackShape) -> tuple[list[str], tuple[ClusterConfig, ...]]:
    """Checks the cross-references and fills in each cluster's default store."""
    problems = _duplicates([s.name for s in stack.stores], "stores")
    problems += _duplicates([c.name for c in stack.clusters], "clusters")
    stores = {s.name: s for s in stack.stores}
    clusters = {c.name: c for c in stack.clusters}
    store_names = ", ".join(stores)

    for i, store in enumerate(stack.stores):
        path = f"{NAMESPACE}:stores[{i}].cluster"
        backend_cluster = clusters.get(store.cluster)
        if backend_cluster is None:
            problems.append(f"{path}: no cluster named {store.cluster!r}; use one of {', '.join(clusters)}")
        elif backend_cluster.cloud != store.cloud:
            problems.append(
                f"{path}: cluster {store.cluster!r} is in {backend_cluster.cloud}, but the store is in {store.cloud}; "
                "a backend runs in its store's cloud so that it reaches the bucket through workload identity"
            )
        elif store.cloud == "aws" and store.account_id and backend_cluster.oidc_provider_arn:
            match = EKS_OIDC_PROVIDER_ARN.match(backend_cluster.oidc_provider_arn)
            if match and match.group("account") != store.account_id:
                problems.append(
                    f"{path}: cluster {store.cluster!r} has its OIDC provider in account {match.group('account')}, "
                    f"but the store is in {store.account_id}; IRSA needs the provider in the store's account"
                )

    resolved: list[ClusterConfig] = []
    for i, cluster in enumerate(stack.clusters):
        path = f"{NAMESPACE}:clusters[{i}]"
        store_name = cluster.store
        if store_name is None:
            same_cloud = [s.name for s in stack.stores if s.cloud == cluster.cloud]
            if len(same_cloud) != 1:
                problems.append(
                    f"{path}.store: required when the stack has {len(same_cloud)} {cluster.cloud} stores; "
                    f"use one of {store_names}"
                )
            else:
                store_name = same_cloud[0]
        elif store_name not in stores:
            problems.append(f"{path}.store: no store named {store_name!r}; use one of {store_names}")
        if cluster.mesh_namespaces and cluster.mesh == "none":
            problems.append(f"{path}.mesh_namespaces: only for a cluster with a mesh; set mesh: istio or linkerd, or remove it")
        if cluster.collector == "alloy" and stack.backend != "loki":
            problems.append(f"{path}.collector: 'alloy' ships only to Loki; use fluent-bit or filebeat with backend elk")
        if cluster.collector == "filebeat" and stack.backend != "elk":
            problems.append(f"{path}.collector: 'filebeat' ships only to Elasticsearch; use fluent-bit or alloy with backend loki")
        resolved.append(cluster.model_copy(update={"store": store_name}))

    for i, store in enumerate(stack.stores):
        backend_cluster = clusters.get(store.cluster)
        if backend_cluster is not None and backend_cluster.store not in (None, store.name):
            problems.append(
                f"{NAMESPACE}:stores[{i}].cluster: cluster {store.cluster!r} runs this store's backend but ships its "
                f"own logs to {backend_cluster.store!r}; a backend cluster ships to its own store"
            )

    if stack.ingest_domain is None:
        remote = [f"{c.name} -> {c.store}" for c in resolved if c.store in stores and stores[c.store].cluster != c.name]
        if remote:
            problems.append(
                f"{NAMESPACE}:ingest_domain: required key is missing: {', '.join(remote)} ship to a backend in another "
                "cluster, which they reach at <store>.<ingest_domain> (a DNS domain such as logs.example.internal)"
            )
    for cluster_name in stack.kubeconfigs:
        if cluster_name not in clusters:
            path = _key_path(["kubeconfigs", cluster_name])
            problems.append(f"{path}: no cluster named {cluster_name!r}; use one of {', '.join(clusters)}")
    if stack.environment == "prod" and not stack.retention.immutable:
        problems.append(f"{NAMESPACE}:retention.immutable: must be true in prod (SOC 2 A1.2, C1.2: audit logs cannot be deleted early)")
    return problems, tuple(resolved)


SECRET_KEYS = ("kubeconfigs",)


def parse_config(raw: Mapping[str, Any], secret_keys: Iterable[str] = ()) -> PlatformConfig:
    """Validates the `logmesh:*` keys (without the namespace) given as plain Python values.

    `secret_keys` names the keys the stack stores encrypted; keys in SECRET_KEYS must be among them."""
    unknown = sorted(set(raw) - set(KNOWN_KEYS))
    problems = [
        f"{_key_path([key])}: unknown key; the logmesh keys are {', '.join(KNOWN_KEYS)}" for key in unknown
    ]
    problems += [
        f"{_key_path([key])}: holds credentials and must be a secret; set it with "
        f"`pulumi config set --secret --path '{NAMESPACE}:{key}.<name>' <value>`"
        for key in SECRET_KEYS
        if raw.get(key) and key not in set(secret_keys)
    ]
    try:
        stack = _StackShape.model_validate({k: v for k, v in raw.items() if k in KNOWN_KEYS})
    except ValidationError as exc:
        problems += [_describe(e) for e in exc.errors()]
        raise ConfigError(problems) from None
    problems += _check_cloud_fields(stack)
    problems += _copied_entries(stack)
    problems += _check_alerting(stack.alerting, stack.environment, stack.backend, "alerting" in set(secret_keys))
    resolve_problems, clusters = _resolve(stack)
    problems += resolve_problems
    if problems:
        raise ConfigError(problems)
    return PlatformConfig(
        environment=stack.environment,
        org=stack.org,
        backend=stack.backend,
        retention=stack.retention,
        stores=tuple(stack.stores),
        clusters=clusters,
        daily_volume_gb=stack.daily_volume_gb,
        ingest_domain=stack.ingest_domain,
        kubeconfigs=dict(stack.kubeconfigs),
        alerting=stack.alerting,
    )


def _decode(key: str, value: Any) -> Any:
    """Config values reach the program as strings; structured ones are JSON."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        if key in ("environment", "org", "backend", "ingest_domain"):
            return value
        raise ConfigError([f"{NAMESPACE}:{key}: is not valid YAML/JSON structure (got {value[:60]!r})"]) from None


def _raw_stack_config() -> tuple[dict[str, Any], list[str]]:
    # pulumi.Config can only read keys it is asked for; to reject unknown keys we need them all.
    # The Python SDK keeps them in the runtime config map (set by the CLI's PULUMI_CONFIG or by mocks).
    from pulumi.runtime import config as runtime_config

    merged: dict[str, Any] = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    prefix = NAMESPACE + ":"
    values = {k[len(prefix) :]: _decode(k[len(prefix) :], v) for k, v in merged.items() if k.startswith(prefix)}
    secret = [k for k in values if runtime_config.is_config_secret(prefix + k)]
    secret += [k[len(prefix) :] for k in runtime_config.get_config_secret_keys_env() if k.startswith(prefix)]
    return values, secret


def load_config() -> PlatformConfig:
    """Reads and validates the current stack's `logmesh:*` configuration."""
    values, secret_keys = _raw_stack_config()
    return parse_config(values, secret_keys)
