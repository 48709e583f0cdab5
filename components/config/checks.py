"""The checks across keys that the schema's types cannot express: cloud-specific fields, copied entries, alerting,
and the cross-references between stores and clusters. Each returns one line per problem."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from components.config.schema import (
    AWS_ACCOUNT_ID,
    AWS_REGION,
    DATADOG_COLLECTORS,
    DATADOG_SITES,
    EKS_OIDC_PROVIDER_ARN,
    GCP_PROJECT,
    GCP_PROJECT_NUMBER,
    GCP_REGION,
    NAMESPACE,
    AlertingConfig,
    ClusterConfig,
    StackShape,
    key_path,
)

SECRET_ALERTING_FIELDS = ("bearer_token", "password")
# Which collectors can forward to each aggregation tier over verified TLS with credentials, and why the others cannot.
FORWARDS_TO: dict[str, tuple[str, ...]] = {"fluentd": ("fluent-bit",), "logstash": ("fluent-bit",)}
FORWARD_GAP = {
    "fluent-bit": "",
    "alloy": "Alloy has no Fluentd forward or Logstash output, only Loki, OTLP and Prometheus writers",
    "filebeat": "Filebeat has no Fluentd forward output, and its Logstash output authenticates only with client "
    "certificates, which logmesh does not issue",
}
SECRET_DATADOG_FIELDS = ("api_key",)
# Why a collector cannot carry the Datadog sink.
_NO_DATADOG_OUTPUT = {
    "alloy": "Alloy's only Datadog exporter is a community component for metrics and traces",
    "filebeat": "Filebeat has no Datadog output",
}


def check_datadog(stack: StackShape, clusters: tuple[ClusterConfig, ...], secret: bool) -> list[str]:
    """The Datadog sink: a documented site, a secret API key, known clusters and stores, and a collector that has a
    Datadog output on every cluster that sends."""
    datadog = stack.datadog
    if datadog is None:
        return []
    path = f"{NAMESPACE}:datadog"
    problems: list[str] = []
    if datadog.site not in DATADOG_SITES:
        problems.append(f"{path}.site: {datadog.site!r} is not a Datadog site; use one of {', '.join(DATADOG_SITES)}")
    for key, known in (("clusters", [c.id for c in clusters]), ("stores", [s.id for s in stack.stores])):
        for i, name in enumerate(getattr(datadog, key)):
            if name not in known:
                problems.append(f"{path}.{key}[{i}]: no {key[:-1]} named {name!r}; use one of {', '.join(known)}")
    for i, cluster in enumerate(clusters):
        if datadog.selects(cluster) and cluster.collector not in DATADOG_COLLECTORS:
            problems.append(
                f"{NAMESPACE}:clusters[{i}].collector: {cluster.collector!r} cannot send to Datadog ({path}): "
                f"{_NO_DATADOG_OUTPUT.get(cluster.collector, 'it has no Datadog output')}; set collector: fluent-bit on this "
                f"cluster, or list the clusters that send in {path}.clusters"
            )
    if not secret:
        problems += [
            f"{path}.{field}: holds credentials and must be a secret; set it with "
            f"`pulumi config set --secret --path '{path}.{field}' <value>`"
            for field in SECRET_DATADOG_FIELDS
        ]
    return problems


def check_alerting(alerting: AlertingConfig | None, environment: str, backend: str, secret: bool) -> list[str]:
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
            f"{path}.alertmanager_url: must not carry credentials; set username and password (or bearer_token) as secrets instead"
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


def _require(value: str | None, pattern: re.Pattern[str], path: str, what: str) -> list[str]:
    if value is None:
        return [f"{path}: required key is missing ({what})"]
    if not pattern.match(value):
        return [f"{path}: {value!r} is not {what}"]
    return []


def check_cloud_fields(stack: StackShape) -> list[str]:
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


def copied_entries(stack: StackShape) -> list[str]:
    """What a stack entry copied from another and only renamed gets wrong: it still points at the other's cluster
    (kubeconfig context, OIDC provider of another region) or project."""
    problems: list[str] = []
    contexts: dict[str, int] = {}
    for i, cluster in enumerate(stack.clusters):
        if cluster.id in stack.kubeconfigs:
            continue  # its own kubeconfig: a context name like `default` can repeat across kubeconfigs
        j = contexts.setdefault(cluster.context, i)
        if j != i:
            problems.append(
                f"{NAMESPACE}:clusters[{i}].context: {cluster.context!r} is already the context of clusters[{j}] "
                f"({stack.clusters[j].id}); two entries would deploy two collectors into one cluster: give each cluster "
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
                f"{NAMESPACE}:stores[{i}].project: {store.project!r} already holds stores[{j}] ({stack.stores[j].id}); "
                "a GCP store owns its project's Data Access audit configuration (storage, cloudkms), and retiring one "
                "of two stores would turn it off for both: put each GCP store in its own project"
            )
    return problems


def _duplicates(ids: list[str], key: str, fields: list[str]) -> list[str]:
    """Ids must be unique (an entry without `id` has its name as id); `fields` says which key each entry's id came from."""
    seen: dict[str, int] = {}
    problems = []
    for i, ident in enumerate(ids):
        if ident in seen:
            problems.append(
                f"{NAMESPACE}:{key}[{i}].{fields[i]}: {ident!r} is already used by {key}[{seen[ident]}]; "
                "ids (names, unless an id is set) must be unique"
            )
        seen.setdefault(ident, i)
    return problems


def resolve(stack: StackShape) -> tuple[list[str], tuple[ClusterConfig, ...]]:
    """Checks the cross-references and fills in each cluster's default store."""
    problems = _duplicates([s.id for s in stack.stores], "stores", ["id" if "id" in s.model_fields_set else "name" for s in stack.stores])
    problems += _duplicates(
        [c.id for c in stack.clusters], "clusters", ["id" if "id" in c.model_fields_set else "name" for c in stack.clusters]
    )
    stores = {s.id: s for s in stack.stores}
    clusters = {c.id: c for c in stack.clusters}
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
            same_cloud = [s.id for s in stack.stores if s.cloud == cluster.cloud]
            if len(same_cloud) != 1:
                problems.append(
                    f"{path}.store: required when the stack has {len(same_cloud)} {cluster.cloud} stores; use one of {store_names}"
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
        tier = stores[store_name].aggregation if store_name in stores else None
        if tier is not None and cluster.collector not in FORWARDS_TO[tier]:
            problems.append(
                f"{path}.collector: {cluster.collector!r} cannot forward to the {tier} tier of store {store_name!r} "
                f"({FORWARD_GAP[cluster.collector]}); use {' or '.join(FORWARDS_TO[tier])} in this cluster, or remove the "
                "store's aggregation"
            )
        resolved.append(cluster.model_copy(update={"store": store_name}))

    for i, store in enumerate(stack.stores):
        if store.aggregation == "logstash" and stack.backend != "elk":
            problems.append(
                f"{NAMESPACE}:stores[{i}].aggregation: 'logstash' runs in front of Elasticsearch only; use fluentd with "
                "backend loki, or set logmesh:backend: elk"
            )
        backend_cluster = clusters.get(store.cluster)
        if backend_cluster is not None and backend_cluster.store not in (None, store.id):
            problems.append(
                f"{NAMESPACE}:stores[{i}].cluster: cluster {store.cluster!r} runs this store's backend but ships its "
                f"own logs to {backend_cluster.store!r}; a backend cluster ships to its own store"
            )

    if stack.ingest_domain is None:
        remote = [f"{c.id} -> {c.store}" for c in resolved if c.store in stores and stores[c.store].cluster != c.id]
        if remote:
            problems.append(
                f"{NAMESPACE}:ingest_domain: required key is missing: {', '.join(remote)} ship to a backend in another "
                "cluster, which they reach at <store>.<ingest_domain> (a DNS domain such as logs.example.internal)"
            )
    for cluster_name in stack.kubeconfigs:
        if cluster_name not in clusters:
            path = key_path(["kubeconfigs", cluster_name])
            problems.append(f"{path}: no cluster named {cluster_name!r}; use one of {', '.join(clusters)}")
    if stack.environment == "prod" and not stack.retention.immutable:
        problems.append(f"{NAMESPACE}:retention.immutable: must be true in prod (SOC 2 A1.2, C1.2: audit logs cannot be deleted early)")
    return problems, tuple(resolved)
