"""Log backends on Kubernetes: Grafana Loki (default) or Elasticsearch + Kibana through ECK.

CONTRACT (used by components/platform.py and components/collectors.py; keep it stable):

    BackendArgs(platform, store_config, store: LogStore, cluster, provider: k8s.Provider)
    LokiBackend / ElkBackend(name, args, opts) -> a LogBackend with
        endpoint: BackendEndpoint   where and how collectors ship to this backend

Each backend runs in the `logging` namespace of its store's cluster, under the service account the store's
workload identity trusts, and serves its ingest endpoint over TLS from a per-store CA with a generated
credential. Credentials exist only as Pulumi secrets and in Kubernetes Secrets: never in Helm values,
ConfigMaps or environment variables.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
import pulumi_tls as tls

from components.config import AlertingConfig, ClusterConfig, PlatformConfig, StoreConfig
from components.identity import backend_service_account
from components.kubernetes import Chart, eck_operator_values, restricted_namespace
from components.names import (
    ALERT_HISTORY_DATA_STREAM,
    ALERT_RULES_LABELS,
    ALERTMANAGER_CREDENTIALS_SECRET,
    BACKEND_NAMESPACE,
    COLLECTOR_NAMESPACE,
    ECK_OPERATOR_NAMESPACE,
    ELASTICSEARCH_COLLECTOR_SECRET,
    ELASTICSEARCH_HTTP_TLS_SECRET,
    ELASTICSEARCH_ROLES_SECRET,
    ES_ELASTIC_USER_SECRET,
    ES_HTTP_SERVICE,
    ES_INDEX_PREFIX,
    ES_NAME,
    GRAFANA_ADMIN_SECRET,
    GRAFANA_DATASOURCE_SECRET,
    KIBANA_ALERT_HISTORY_CONNECTOR,
    KIBANA_CA_SECRET,
    KIBANA_HTTP_SERVICE,
    KIBANA_NAME,
    LOKI_COLLECTOR_SECRET,
    LOKI_GATEWAY_HTPASSWD_SECRET,
    LOKI_GATEWAY_TLS_SECRET,
    MANAGED_BY_LABELS,
)
from components.pins import ECK_OPERATOR_CHART, ELASTIC_STACK_VERSION, ES_SETUP_IMAGE, GRAFANA_CHART, LOKI_CHART


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
    # Loki: the X-Scope-OrgID each cluster must send (its own name); the gateway refuses any other tenant.
    tenants: tuple[str, ...] = ()
    # ELK: collectors write to the data stream `<index_prefix><cluster>` with op_type create.
    index_prefix: str = ""
    # Secret in the backend cluster's `logging` namespace with keys `username` and `password` (same credential).
    credentials_secret: str = ""


class BackendStore(Protocol):
    """The store outputs a backend uses (components/storage.py LogStore has them all)."""

    @property
    def bucket_name(self) -> pulumi.Output[str]: ...
    @property
    def key_id(self) -> pulumi.Output[str]: ...
    @property
    def identity(self) -> pulumi.Output[str]: ...
    @property
    def identity_annotations(self) -> pulumi.Output[dict[str, str]]: ...
    @property
    def region(self) -> str: ...
    @property
    def backend_retention_days(self) -> int: ...


@dataclass(frozen=True)
class BackendArgs:
    platform: PlatformConfig
    store_config: StoreConfig
    store: BackendStore
    cluster: ClusterConfig  # the cluster the backend runs on (store_config.cluster)
    provider: k8s.Provider


LOKI_PUSH_PATH = "/loki/api/v1/push"
LOKI_GATEWAY_SERVICE = "loki-gateway"
LOKI_GATEWAY_CONTAINER_PORT = 8080
HTTPS_PORT = 443
ES_HTTP_PORT = 9200
ES_TRANSPORT_PORT = 9300
KIBANA_PORT = 5601

COLLECTOR_USER = "collector"
GRAFANA_READER_USER = "grafana"
TENANT_HEADER = "X-Scope-OrgID"

LOKI_SELECTOR = {"app.kubernetes.io/name": "loki", "app.kubernetes.io/instance": "loki"}
LOKI_GATEWAY_SELECTOR = {**LOKI_SELECTOR, "app.kubernetes.io/component": "gateway"}
GRAFANA_SELECTOR = {"app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": "grafana"}
ES_SELECTOR = {"elasticsearch.k8s.elastic.co/cluster-name": ES_NAME}
KIBANA_SELECTOR = {"kibana.k8s.elastic.co/name": KIBANA_NAME}
ES_SETUP_SELECTOR = {"app.kubernetes.io/name": "logmesh-es-setup"}
ECK_OPERATOR_SELECTOR = {"control-plane": "elastic-operator"}
# The pods that run the Loki ruler: its own StatefulSet when distributed, the single binary otherwise.
LOKI_RULER_SELECTOR = {**LOKI_SELECTOR, "app.kubernetes.io/component": "ruler"}
LOKI_SINGLE_BINARY_SELECTOR = {**LOKI_SELECTOR, "app.kubernetes.io/component": "single-binary"}
ALERTMANAGER_CREDENTIALS_DIR = "/etc/loki/alertmanager"
# The alerts components/alerts.py defines for every cluster. Each is one ConfigMap (alert_rules_configmap); on Loki its
# key `<alert>.yaml` is the rule file the ruler reads from its local rule storage as `<LOKI_RULES_DIR>/<tenant>/<file>`.
ALERT_NAMES = ("ingestion-gap", "mesh-auth-spike", "mesh-5xx-spike", "collector-output-errors")
LOKI_RULES_DIR = "/rules"

# GKE Workload Identity answers on the node's metadata server address; IRSA and both object stores use 443.
GKE_METADATA_SERVER = ("169.254.169.254/32", 80)


def alert_rules_configmap(alert: str, cluster: str) -> str:
    """The ConfigMap in `logging` that holds one alert rule of one cluster."""
    return f"logmesh-{alert}-{cluster}"


def loki_rule_file(alert: str) -> str:
    return f"{alert}.yaml"


def loki_rule_volumes(tenants: Sequence[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The alert-rule ConfigMaps as files of the ruler's local rule storage: `<LOKI_RULES_DIR>/<tenant>/<alert>.yaml`.

    Mounted by the kubelet instead of the chart's rules sidecar, whose Role reads every Secret in the namespace.
    One projected volume per tenant, mounted at the tenant's folder: the local rule store takes every directory under
    its root for a tenant, and a single volume at the root would also show the kubelet's `..data` and `..<timestamp>`
    directories, phantom tenants whose (empty) streams would fire every ingestion-gap rule. The items are optional:
    components/alerts.py creates the ConfigMaps after this release, and the kubelet adds the files once they exist."""
    volumes, mounts = [], []
    for tenant in tenants:
        name = f"rules-{tenant}"
        sources = [
            {
                "configMap": {
                    "name": alert_rules_configmap(alert, tenant),
                    "optional": True,
                    "items": [{"key": loki_rule_file(alert), "path": loki_rule_file(alert)}],
                }
            }
            for alert in ALERT_NAMES
        ]
        volumes.append({"name": name, "projected": {"sources": sources}})
        mounts.append({"name": name, "mountPath": f"{LOKI_RULES_DIR}/{tenant}", "readOnly": True})
    return volumes, mounts


class RetentionError(ValueError):
    """The backend would keep data longer than its bucket keeps objects."""


def checked_retention_days(args: BackendArgs) -> int:
    """Days the backend keeps logs queryable: the store's figure, never longer than the bucket keeps objects."""
    days = args.store.backend_retention_days
    archive = args.platform.retention.archive_days
    if not 1 <= days <= archive:
        raise RetentionError(
            f"store {args.store_config.name}: backend retention {days} days must be between 1 and the bucket's "
            f"{archive} days (logmesh:retention.archive_days); the backend must never outlive its bucket"
        )
    return days


# --- Loki sizing -----------------------------------------------------------------------------------------

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


# --- Kubernetes object builders ---------------------------------------------------------------------------


def _secret(value: pulumi.Input[str]) -> pulumi.Output[str]:
    return pulumi.Output.secret(value)


def _meta(name: str, namespace: str = BACKEND_NAMESPACE, **labels: str) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels={**MANAGED_BY_LABELS, **labels})


def _peer(
    pods: Mapping[str, str] | None = None, namespace: str | None = None, cidr: str | None = None
) -> k8s.networking.v1.NetworkPolicyPeerArgs:
    if cidr is not None:
        return k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=cidr))
    return k8s.networking.v1.NetworkPolicyPeerArgs(
        pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(pods) if pods else None),
        namespace_selector=(k8s.meta.v1.LabelSelectorArgs(match_labels={"kubernetes.io/metadata.name": namespace}) if namespace else None),
    )


def _ports(*ports: int, protocol: str = "TCP") -> list[k8s.networking.v1.NetworkPolicyPortArgs]:
    return [k8s.networking.v1.NetworkPolicyPortArgs(port=p, protocol=protocol) for p in ports]


@dataclass
class _Rule:
    ports: list[k8s.networking.v1.NetworkPolicyPortArgs]
    peers: list[k8s.networking.v1.NetworkPolicyPeerArgs] | None = None  # None: any source/destination


@dataclass
class _Policy:
    name: str
    pods: Mapping[str, str]
    ingress: list[_Rule] = field(default_factory=list)
    egress: list[_Rule] = field(default_factory=list)


class LogBackend(pulumi.ComponentResource):
    """What both backends share: namespace, service account, ingest TLS, network policies, retention."""

    endpoint: BackendEndpoint

    def __init__(self, type_: str, name: str, args: BackendArgs, opts: pulumi.ResourceOptions | None) -> None:
        super().__init__(type_, name, None, opts)
        self.args = args
        self.name = name
        self.retention_days = checked_retention_days(args)
        self.child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        self.service_account_ref = backend_service_account(args.platform.backend)
        self.namespace = self._namespace(BACKEND_NAMESPACE, "logging")
        self.in_namespace = pulumi.ResourceOptions.merge(self.child, pulumi.ResourceOptions(depends_on=[self.namespace]))
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{name}-backend-sa",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=self.service_account_ref.name,
                namespace=self.service_account_ref.namespace,
                labels=dict(MANAGED_BY_LABELS),
                annotations=args.store.identity_annotations,
            ),
            # Pods that need the Kubernetes API say so themselves; the cloud identity needs no API token.
            automount_service_account_token=False,
            opts=self.in_namespace,
        )

    # --- shared pieces ---------------------------------------------------------------------------------

    @property
    def exposed(self) -> bool:
        """The ingest endpoint is published on an internal load balancer (clusters elsewhere ship to it)."""
        return self.args.platform.ingest_domain is not None

    def external_host(self) -> str | None:
        domain = self.args.platform.ingest_domain
        return f"{self.args.store_config.name}.{domain}" if domain else None

    def load_balancer_annotations(self) -> dict[str, str]:
        """An internal load balancer whose DNS record external-dns publishes as `<store>.<ingest_domain>`."""
        host = self.external_host()
        if host is None:
            return {}
        annotations = {"external-dns.alpha.kubernetes.io/hostname": host}
        if self.args.store_config.cloud == "aws":
            annotations |= {
                "service.beta.kubernetes.io/aws-load-balancer-type": "external",
                "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
                "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
            }
        else:
            annotations |= {"networking.gke.io/load-balancer-type": "Internal"}
        return annotations

    def _namespace(self, namespace: str, purpose: str) -> k8s.core.v1.Namespace:
        return restricted_namespace(f"{self.name}-{purpose}-namespace", namespace, self.child)

    def ingest_tls(self, service_dns: Sequence[str], secret_name: str) -> tuple[pulumi.Output[str], k8s.core.v1.Secret]:
        """A per-store CA and a serving certificate for the ingest endpoint, kept in a kubernetes.io/tls Secret."""
        name, store = self.name, self.args.store_config.name
        opts = pulumi.ResourceOptions(parent=self)
        ca_key = tls.PrivateKey(f"{name}-ingest-ca-key", algorithm="ECDSA", ecdsa_curve="P256", opts=opts)
        ca = tls.SelfSignedCert(
            f"{name}-ingest-ca",
            private_key_pem=ca_key.private_key_pem,
            is_ca_certificate=True,
            subject=tls.SelfSignedCertSubjectArgs(common_name=f"logmesh {store} ingest CA", organization="logmesh"),
            validity_period_hours=5 * 365 * 24,
            early_renewal_hours=90 * 24,
            allowed_uses=["cert_signing", "crl_signing", "digital_signature"],
            opts=opts,
        )
        server_key = tls.PrivateKey(f"{name}-ingest-key", algorithm="ECDSA", ecdsa_curve="P256", opts=opts)
        host = self.external_host()
        dns_names = [*([host] if host else []), *service_dns]
        request = tls.CertRequest(
            f"{name}-ingest-csr",
            private_key_pem=server_key.private_key_pem,
            subject=tls.CertRequestSubjectArgs(common_name=dns_names[0], organization="logmesh"),
            dns_names=dns_names,
            opts=opts,
        )
        # `pulumi up` re-issues the certificate within 30 days of expiry.
        certificate = tls.LocallySignedCert(
            f"{name}-ingest-cert",
            cert_request_pem=request.cert_request_pem,
            ca_private_key_pem=ca_key.private_key_pem,
            ca_cert_pem=ca.cert_pem,
            validity_period_hours=365 * 24,
            early_renewal_hours=30 * 24,
            allowed_uses=["digital_signature", "key_encipherment", "server_auth"],
            opts=opts,
        )
        secret = k8s.core.v1.Secret(
            f"{name}-ingest-tls",
            metadata=_meta(secret_name),
            type="kubernetes.io/tls",
            string_data={
                "tls.crt": certificate.cert_pem,
                "tls.key": _secret(server_key.private_key_pem),
                "ca.crt": ca.cert_pem,
            },
            opts=self.in_namespace,
        )
        return ca.cert_pem, secret

    def password(self, purpose: str) -> random.RandomPassword:
        # Letters and digits only: the value goes into htpasswd files, netrc lines and YAML unquoted.
        return random.RandomPassword(f"{self.name}-{purpose}-password", length=40, special=False, opts=pulumi.ResourceOptions(parent=self))

    def basic_auth_secret(self, name: str, resource: str, username: str, password: pulumi.Output[str], **extra: str) -> k8s.core.v1.Secret:
        return k8s.core.v1.Secret(
            f"{self.name}-{resource}",
            metadata=_meta(name),
            type="kubernetes.io/basic-auth",
            string_data={"username": username, "password": _secret(password), **extra},
            opts=self.in_namespace,
        )

    def network_policies(self, policies: Sequence[_Policy]) -> list[k8s.networking.v1.NetworkPolicy]:
        """Default deny for every pod in the namespace, DNS for all, then each explicit allow."""
        dns = _Rule(_ports(53, protocol="UDP") + _ports(53), [_peer({"k8s-app": "kube-dns"}, namespace="kube-system")])
        base = [_Policy("default-deny", {}), _Policy("allow-dns", {}, egress=[dns])]
        created = []
        for policy in [*base, *policies]:
            created.append(
                k8s.networking.v1.NetworkPolicy(
                    f"{self.name}-netpol-{policy.name}",
                    metadata=_meta(policy.name),
                    spec=k8s.networking.v1.NetworkPolicySpecArgs(
                        pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(policy.pods) or None),
                        policy_types=["Ingress", "Egress"] if policy.name == "default-deny" else self._types(policy),
                        ingress=[k8s.networking.v1.NetworkPolicyIngressRuleArgs(ports=r.ports, from_=r.peers) for r in policy.ingress]
                        or None,
                        egress=[k8s.networking.v1.NetworkPolicyEgressRuleArgs(ports=r.ports, to=r.peers) for r in policy.egress] or None,
                    ),
                    opts=self.in_namespace,
                )
            )
        return created

    @staticmethod
    def _types(policy: _Policy) -> list[str]:
        return [kind for kind, rules in (("Ingress", policy.ingress), ("Egress", policy.egress)) if rules]

    def ingest_sources(self) -> list[k8s.networking.v1.NetworkPolicyPeerArgs]:
        """Who may open a connection to the ingest port: the local collectors' namespace and, when the endpoint is
        published on the internal load balancer, any address, because collectors in other clusters arrive from
        node, pod or NAT addresses of peered networks the cluster cannot know. TLS and a password gate every request."""
        local = [_peer({}, namespace=COLLECTOR_NAMESPACE)]
        return [*local, _peer(cidr="0.0.0.0/0"), _peer(cidr="::/0")] if self.exposed else local

    def object_storage_egress(self) -> list[_Rule]:
        """HTTPS to the object store (and STS for IRSA); GKE Workload Identity also needs the metadata server."""
        rules = [_Rule(_ports(HTTPS_PORT))]
        if self.args.store_config.cloud == "gcp":
            cidr, port = GKE_METADATA_SERVER
            rules.append(_Rule(_ports(port), [_peer(cidr=cidr)]))
        return rules

    def release(
        self, resource: str, chart: Chart, namespace: str, values: Mapping[str, Any], depends_on: Sequence[pulumi.Resource]
    ) -> k8s.helm.v3.Release:
        opts = pulumi.ResourceOptions.merge(self.in_namespace, pulumi.ResourceOptions(depends_on=list(depends_on)))
        return chart.release(f"{self.name}-{resource}", namespace, values, opts)


# --- Loki --------------------------------------------------------------------------------------------------


# What the Grafana reader may call through the gateway: Loki's query API (`/loki/api/v1/...`: query, labels, series,
# index stats, tail, rules read) and the Prometheus-style rule and alert lists. Everything else the chart's gateway
# routes is operations, not reading: /flush, /ingester/shutdown, the rings, /config and the compactor's
# /loki/api/v1/delete (a log deletion request) and /loki/api/v1/cache/generation_numbers.
LOKI_READER_DENIED_PATHS = (LOKI_PUSH_PATH, "/loki/api/v1/delete", "/loki/api/v1/cache/")
LOKI_READER_PATHS = ("/loki/api/v1/", "/prometheus/api/v1/rules:", "/prometheus/api/v1/alerts:")


def loki_gateway_access_map(tenants: Sequence[str]) -> str:
    """nginx `map` deciding per request whether the gateway refuses it (1) before authentication runs.

    nginx tries the exact keys first, then the regular expressions in order. The collector credential may only
    push, and only as one of the store's tenants; the Grafana reader may only read (LOKI_READER_PATHS, never
    LOKI_READER_DENIED_PATHS); the unauthenticated health check on `/` stays open. auth_basic still checks the
    password of every request this lets through."""
    lines = [
        f'map "$remote_user:$uri:$http_{TENANT_HEADER.lower().replace("-", "_")}" $logmesh_forbidden {{',
        "  default 1;",
        '  ":/:" 0;',
        *(f'  "{COLLECTOR_USER}:{LOKI_PUSH_PATH}:{tenant}" 0;' for tenant in tenants),
        *(f'  "~^{GRAFANA_READER_USER}:{path}{"" if path.endswith("/") else ":"}" 1;' for path in LOKI_READER_DENIED_PATHS),
        *(f'  "~^{GRAFANA_READER_USER}:{path}" 0;' for path in LOKI_READER_PATHS),
        "}",
    ]
    return "\n".join(lines) + "\n"


def htpasswd(entries: Sequence[tuple[str, pulumi.Output[str]]]) -> pulumi.Output[str]:
    return _secret(
        pulumi.Output.all(*[hash_ for _, hash_ in entries]).apply(
            lambda hashes: "".join(f"{user}:{h}\n" for (user, _), h in zip(entries, hashes, strict=True))
        )
    )


class LokiBackend(LogBackend):
    """Loki (grafana-community chart) on the store's bucket, with an authenticating TLS gateway and Grafana."""

    def __init__(self, name: str, args: BackendArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("logmesh:backends:LokiBackend", name, args, opts)
        store, platform = args.store_config, args.platform
        self.tenants = tuple(c.name for c in platform.clusters_of(store))
        self.sizing = loki_sizing(platform.environment, platform.daily_volume_gb)

        service_dns = [f"{LOKI_GATEWAY_SERVICE}.{BACKEND_NAMESPACE}.svc", f"{LOKI_GATEWAY_SERVICE}.{BACKEND_NAMESPACE}.svc.cluster.local"]
        ca_pem, tls_secret = self.ingest_tls(service_dns, LOKI_GATEWAY_TLS_SECRET)
        self.ca_pem = ca_pem

        writer = self.password("collector")
        reader = self.password("grafana")
        self.writer_password = _secret(writer.result)
        self.reader_password = _secret(reader.result)
        htpasswd_secret = k8s.core.v1.Secret(
            f"{name}-gateway-htpasswd",
            metadata=_meta(LOKI_GATEWAY_HTPASSWD_SECRET),
            type="Opaque",
            string_data={".htpasswd": htpasswd([(COLLECTOR_USER, writer.bcrypt_hash), (GRAFANA_READER_USER, reader.bcrypt_hash)])},
            opts=self.in_namespace,
        )
        collector_secret = self.basic_auth_secret(LOKI_COLLECTOR_SECRET, "collector-credentials", COLLECTOR_USER, writer.result)
        alerting = platform.alerting
        alertmanager_secret = self._alertmanager_credentials(alerting) if alerting and alerting.has_credentials else None

        self.network_policies(self._policies())
        self.loki = self.release(
            "loki",
            LOKI_CHART,
            BACKEND_NAMESPACE,
            self.loki_values(),
            [self.service_account, tls_secret, htpasswd_secret, *([alertmanager_secret] if alertmanager_secret else [])],
        )
        datasource = self._grafana_datasource(ca_pem)
        admin = self.password("grafana-admin")
        admin_secret = k8s.core.v1.Secret(
            f"{name}-grafana-admin",
            metadata=_meta(GRAFANA_ADMIN_SECRET),
            type="Opaque",
            string_data={"admin-user": "admin", "admin-password": _secret(admin.result)},
            opts=self.in_namespace,
        )
        self.grafana = self.release(
            "grafana", GRAFANA_CHART, BACKEND_NAMESPACE, self.grafana_values(), [datasource, admin_secret, self.loki]
        )

        self.endpoint = BackendEndpoint(
            store=store.name,
            kind="loki",
            host=self.external_host() or service_dns[1],
            port=HTTPS_PORT,
            path=LOKI_PUSH_PATH,
            ca_pem=ca_pem,
            username=COLLECTOR_USER,
            password=self.writer_password,
            tenants=self.tenants,
            credentials_secret=LOKI_COLLECTOR_SECRET,
        )
        self.register_outputs(
            {
                "host": self.endpoint.host,
                "port": self.endpoint.port,
                "ca_pem": ca_pem,
                "tenants": list(self.tenants),
                "retention_days": self.retention_days,
                "collector_credentials": collector_secret.metadata.name,
            }
        )

    @property
    def ruler_selector(self) -> dict[str, str]:
        return LOKI_RULER_SELECTOR if self.sizing.deployment_mode == "Distributed" else LOKI_SINGLE_BINARY_SELECTOR

    def _alertmanager_credentials(self, alerting: AlertingConfig) -> k8s.core.v1.Secret:
        """The ruler's `Authorization` credential, mounted as a file: never in values, the config or the environment."""
        if alerting.bearer_token is not None:
            credential = _secret(alerting.bearer_token)
        else:
            pair = f"{alerting.username}:{alerting.password}"
            credential = _secret(pulumi.Output.secret(pair).apply(lambda v: base64.b64encode(v.encode()).decode()))
        return k8s.core.v1.Secret(
            f"{self.name}-alertmanager-credentials",
            metadata=_meta(ALERTMANAGER_CREDENTIALS_SECRET),
            type="Opaque",
            string_data={"credentials": credential},
            opts=self.in_namespace,
        )

    def alertmanager_egress(self) -> list[_Policy]:
        """The ruler to the Alertmanager's port: only into its namespace when the URL names an in-cluster Service
        (a policy sees the pod port after the Service's translation: the Alertmanager's Service and container port
        must match, 9093 in the Prometheus Operator and the Alertmanager chart), to any address otherwise (NetworkPolicy
        cannot match a DNS name)."""
        alerting = self.args.platform.alerting
        if alerting is None:
            return []
        namespace = alerting.in_cluster_namespace
        peers = [_peer({}, namespace=namespace)] if namespace else None
        return [_Policy("loki-ruler-to-alertmanager", self.ruler_selector, egress=[_Rule(_ports(alerting.port), peers)])]

    def ruler_alertmanager_config(self) -> dict[str, Any]:
        """`ruler` settings that send fired alerts to the stack's Alertmanager (Loki 3.7: v2 API, the only one
        Alertmanager 0.27+ serves; default since Loki 3.2, set explicitly)."""
        alerting = self.args.platform.alerting
        if alerting is None:
            return {}
        config: dict[str, Any] = {
            "alertmanager_url": alerting.alertmanager_url,
            "enable_alertmanager_v2": True,
            "notification_timeout": "10s",
            "notification_queue_capacity": 10000,
        }
        if alerting.has_credentials:
            config["alertmanager_client"] = {
                "type": "Bearer" if alerting.bearer_token is not None else "Basic",
                "credentials_file": f"{ALERTMANAGER_CREDENTIALS_DIR}/credentials",
            }
        return config

    def _policies(self) -> list[_Policy]:
        gateway_port = _ports(LOKI_GATEWAY_CONTAINER_PORT)
        return [
            *self.alertmanager_egress(),
            # Every Loki component, its memcached caches and the gateway talk among themselves (HTTP, gRPC, memberlist).
            _Policy(
                "loki-internal", LOKI_SELECTOR, ingress=[_Rule([], [_peer(LOKI_SELECTOR)])], egress=[_Rule([], [_peer(LOKI_SELECTOR)])]
            ),
            _Policy("loki-object-storage", LOKI_SELECTOR, egress=self.object_storage_egress()),
            _Policy("collectors-to-loki-gateway", LOKI_GATEWAY_SELECTOR, ingress=[_Rule(gateway_port, self.ingest_sources())]),
            _Policy("grafana-to-loki-gateway", LOKI_GATEWAY_SELECTOR, ingress=[_Rule(gateway_port, [_peer(GRAFANA_SELECTOR)])]),
            _Policy("grafana-egress", GRAFANA_SELECTOR, egress=[_Rule(gateway_port, [_peer(LOKI_GATEWAY_SELECTOR)])]),
        ]

    def loki_values(self) -> dict[str, Any]:
        args, sizing = self.args, self.sizing
        store = args.store
        object_store = "s3" if args.store_config.cloud == "aws" else "gcs"
        storage: dict[str, Any] = {"type": object_store, "bucketNames": {"chunks": store.bucket_name, "ruler": store.bucket_name}}
        if object_store == "s3":
            # Credentials come from IRSA (no keys); objects are written with the store's KMS key.
            storage["s3"] = {"region": store.region, "sse": {"type": "SSE-KMS", "kms_key_id": store.key_id}}
        # GCS: Loki has no KMS setting; the bucket's default CMEK encrypts every object.
        distributed = sizing.deployment_mode == "Distributed"
        zeroed = ["backend", "read", "write", *(["singleBinary"] if distributed else [])]
        if not distributed:
            zeroed += ["ingester", "distributor", "querier", "queryFrontend", "queryScheduler", "indexGateway", "compactor"]
        components: dict[str, Any] = {key: {"replicas": 0} for key in zeroed}
        for key, count in sizing.replicas.items():
            components[key] = {"replicas": count}
        if distributed:
            components["ruler"] = {"enabled": True, "replicas": 1}
        # The chart's backend target mounts the token by its own default; it runs no pods here (replicas 0).
        components["backend"]["automountServiceAccountToken"] = False
        ruler = components["ruler" if distributed else "singleBinary"]
        ruler["extraVolumes"], ruler["extraVolumeMounts"] = loki_rule_volumes(self.tenants)
        alerting = args.platform.alerting
        if alerting is not None and alerting.has_credentials:
            ruler["extraVolumes"].append({"name": "alertmanager-credentials", "secret": {"secretName": ALERTMANAGER_CREDENTIALS_SECRET}})
            ruler["extraVolumeMounts"].append(
                {"name": "alertmanager-credentials", "mountPath": ALERTMANAGER_CREDENTIALS_DIR, "readOnly": True}
            )
        ingester_resources = {
            "requests": {"cpu": sizing.ingester_cpu, "memory": sizing.ingester_memory},
            "limits": {"memory": sizing.ingester_memory},
        }
        if distributed:
            components["ingester"] |= {
                "resources": ingester_resources,
                # The WAL lives on the ingesters' volumes, so a restart replays what was not yet flushed.
                # Helm replaces a list instead of merging it with the chart's default claim, and the chart renders
                # `accessModes` from the claim without a default: a claim without it is a PVC the API refuses.
                "persistence": {"enabled": True, "claims": [{"name": "data", "accessModes": ["ReadWriteOnce"], "size": "50Gi"}]},
                "zoneAwareReplication": {"enabled": False},
            }
        else:
            components["singleBinary"] |= {"resources": ingester_resources, "persistence": {"enabled": True, "size": "50Gi"}}
        hours = self.retention_days * 24
        tenants = self.tenants
        return {
            "deploymentMode": sizing.deployment_mode,
            "serviceAccount": {"create": False, "name": self.service_account_ref.name},
            # No pod needs the Kubernetes API (the rules arrive as volumes), so none mounts the service account's
            # token; the chart's default is true for every component. The cloud identity does not need it: EKS's pod
            # identity webhook projects its own web-identity token for an IRSA-annotated service account whatever
            # automountServiceAccountToken says, and GKE's metadata server knows the pod by its IP.
            "defaults": {"automountServiceAccountToken": False},
            "loki": {
                "auth_enabled": True,
                # No usage statistics to Grafana Labs (stats.grafana.org).
                "analytics": {"reporting_enabled": False},
                "podSecurityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": 10001,
                    "runAsGroup": 10001,
                    "fsGroup": 10001,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "commonConfig": {"replication_factor": sizing.replication_factor},
                "schemaConfig": {
                    "configs": [
                        {
                            "from": "2024-04-01",
                            "store": "tsdb",
                            "object_store": object_store,
                            "schema": "v13",
                            "index": {"prefix": "loki_index_", "period": "24h"},
                        }
                    ]
                },
                "storage": storage,
                "ingester": {"wal": {"enabled": True, "dir": "/var/loki/wal", "flush_on_shutdown": True}},
                "compactor": {
                    "retention_enabled": True,
                    "delete_request_store": object_store,
                    "retention_delete_delay": "2h",
                    "working_directory": "/var/loki/compactor",
                },
                "limits_config": {
                    "retention_period": f"{hours}h",
                    "ingestion_rate_mb": sizing.ingestion_rate_mb,
                    "ingestion_burst_size_mb": sizing.ingestion_burst_size_mb,
                    "allow_structured_metadata": True,
                    # No log deletion requests (Loki's default is filter-and-delete): only the compactor's retention
                    # removes logs, at the end of retention_period.
                    "deletion_mode": "disabled",
                },
                # Grafana reads every tenant of the store at once with `X-Scope-OrgID: a|b|c`.
                "querier": {"multi_tenant_queries_enabled": True},
                # Alert rules arrive as ConfigMaps (components/alerts.py) mounted at /rules/<tenant>
                # (loki_rule_volumes), the ruler's local rule storage.
                "rulerConfig": {
                    "storage": {"type": "local", "local": {"directory": LOKI_RULES_DIR}},
                    "rule_path": "/var/loki/rules-scratch",
                    **self.ruler_alertmanager_config(),
                },
            },
            **components,
            # No rules sidecar: its Role (loki 18.11.0 role.yaml) grants get/list/watch on every Secret in the
            # namespace to the service account. Without it and with namespaced RBAC the chart creates no Role at all.
            "rbac": {"namespaced": True},
            "sidecar": {"rules": {"enabled": False}},
            "gateway": {
                "enabled": True,
                "replicas": 2 if args.platform.is_prod else 1,
                "containerPort": LOKI_GATEWAY_CONTAINER_PORT,
                "service": {
                    "type": "LoadBalancer" if self.exposed else "ClusterIP",
                    "port": HTTPS_PORT,
                    "annotations": self.load_balancer_annotations(),
                },
                "basicAuth": {"enabled": True, "existingSecret": LOKI_GATEWAY_HTPASSWD_SECRET},
                "extraVolumes": [{"name": "ingest-tls", "secret": {"secretName": LOKI_GATEWAY_TLS_SECRET}}],
                "extraVolumeMounts": [{"name": "ingest-tls", "mountPath": "/etc/nginx/tls", "readOnly": True}],
                "readinessProbe": {
                    "httpGet": {"path": "/", "port": "http", "scheme": "HTTPS"},
                    "initialDelaySeconds": 15,
                    "timeoutSeconds": 1,
                },
                # The access-log exporter reads nginx's stub_status over plain HTTP, which the TLS listener refuses.
                "metrics": {"enabled": False},
                "nginxConfig": {
                    "ssl": True,
                    "serverSnippet": (
                        "ssl_certificate /etc/nginx/tls/tls.crt;\n"
                        "ssl_certificate_key /etc/nginx/tls/tls.key;\n"
                        "ssl_protocols TLSv1.2 TLSv1.3;\n"
                    ),
                    "httpSnippet": loki_gateway_access_map(tenants),
                    "locationSnippet": "if ($logmesh_forbidden) { return 403; }",
                },
            },
            # The canary and the chart's test pod push without credentials; the gateway would refuse them.
            "lokiCanary": {"enabled": False},
            "test": {"enabled": False},
            "chunksCache": {"enabled": distributed},
            "resultsCache": {"enabled": distributed},
        }

    def _grafana_datasource(self, ca_pem: pulumi.Output[str]) -> k8s.core.v1.Secret:
        store = self.args.store_config.name
        url = f"https://{LOKI_GATEWAY_SERVICE}.{BACKEND_NAMESPACE}.svc.cluster.local"
        document = pulumi.Output.all(ca_pem, self.reader_password).apply(
            lambda v: json.dumps(
                {
                    "apiVersion": 1,
                    "datasources": [
                        {
                            "name": f"Loki ({store})",
                            "uid": f"loki-{store}",
                            "type": "loki",
                            "access": "proxy",
                            "url": url,
                            "isDefault": True,
                            "basicAuth": True,
                            "basicAuthUser": GRAFANA_READER_USER,
                            "jsonData": {"tlsAuthWithCACert": True, "httpHeaderName1": TENANT_HEADER},
                            "secureJsonData": {"basicAuthPassword": v[1], "tlsCACert": v[0], "httpHeaderValue1": "|".join(self.tenants)},
                        }
                    ],
                },
                indent=2,
            )
        )
        return k8s.core.v1.Secret(
            f"{self.name}-grafana-datasource",
            metadata=_meta(GRAFANA_DATASOURCE_SECRET),
            type="Opaque",
            string_data={"loki.yaml": _secret(document)},
            opts=self.in_namespace,
        )

    def grafana_values(self) -> dict[str, Any]:
        return {
            "admin": {"existingSecret": GRAFANA_ADMIN_SECRET, "userKey": "admin-user", "passwordKey": "admin-password"},
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 472,
                "runAsGroup": 472,
                "fsGroup": 472,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            # The datasource Secret above is mounted as Grafana's provisioning file: the password never enters values
            # or a ConfigMap. Not the chart's datasource sidecar: its Role (grafana 12.11.1 role.yaml) reads every
            # Secret in the namespace (the collector's password, the gateway's TLS key), and it would need egress to
            # the Kubernetes API, which the namespace's network policies do not give Grafana.
            "extraSecretMounts": [
                {
                    "name": "datasources",
                    "secretName": GRAFANA_DATASOURCE_SECRET,
                    "mountPath": "/etc/grafana/provisioning/datasources",
                    "readOnly": True,
                    "defaultMode": 0o440,
                }
            ],
            "rbac": {"create": False},
            "automountServiceAccountToken": False,
            "testFramework": {"enabled": False},
            # No usage statistics to Grafana Labs and no calls to grafana.com for new versions of Grafana or plugins.
            "grafana.ini": {"analytics": {"reporting_enabled": False, "check_for_updates": False, "check_for_plugin_updates": False}},
        }


# --- Elasticsearch + Kibana --------------------------------------------------------------------------------


def kibana_preconfigured_connectors() -> dict[str, Any]:
    """The Index connector every Kibana rule records its alerts with. Kibana can call an Alertmanager only through a
    Webhook connector, which needs a paid (Gold or higher) licence; on Basic this is the notification that works."""
    return {
        KIBANA_ALERT_HISTORY_CONNECTOR: {
            "name": "logmesh alert history",
            "actionTypeId": ".index",
            "config": {"index": ALERT_HISTORY_DATA_STREAM, "executionTimeField": "@timestamp", "refresh": False},
        }
    }


def ilm_policy(retention_days: int) -> dict[str, Any]:
    return {
        "policy": {
            "_meta": {"managed_by": "logmesh"},
            "phases": {
                "hot": {"min_age": "0ms", "actions": {"rollover": {"max_primary_shard_size": "50gb", "max_age": "1d"}}},
                "delete": {"min_age": f"{retention_days}d", "actions": {"delete": {}}},
            },
        }
    }


def index_template(replicas: int) -> dict[str, Any]:
    # Priority above the built-in `logs` template (100), which matches logs-*-* too.
    return {
        "index_patterns": [f"{ES_INDEX_PREFIX}*"],
        "data_stream": {},
        "priority": 200,
        "template": {"settings": {"index.lifecycle.name": "logmesh-logs", "index.number_of_replicas": replicas}},
        "_meta": {"managed_by": "logmesh"},
    }


def snapshot_repository(cloud: str, bucket: str, base_path: str) -> dict[str, Any]:
    # repository-s3 has no KMS setting, and `server_side_encryption: true` would send SSE-S3 and override the
    # bucket's SSE-KMS default: leave it unset. GCS encrypts with the bucket's default CMEK.
    return {"type": "s3" if cloud == "aws" else "gcs", "settings": {"bucket": bucket, "base_path": base_path}}


def slm_policy(retention_days: int) -> dict[str, Any]:
    return {
        "schedule": "0 30 1 * * ?",
        "name": "<logmesh-{now/d}>",
        "repository": "logmesh-archive",
        "config": {"indices": [f"{ES_INDEX_PREFIX}*"], "include_global_state": False},
        # Snapshot deletes on a versioned, locked bucket leave the locked versions behind until the archive ends.
        "retention": {"expire_after": f"{retention_days}d"},
    }


SETUP_SCRIPT = f"""set -eu
es=https://{ES_HTTP_SERVICE}.{BACKEND_NAMESPACE}.svc:{ES_HTTP_PORT}
umask 077
# The password goes to curl through a netrc file: never on a command line or in the environment.
printf 'machine {ES_HTTP_SERVICE}.{BACKEND_NAMESPACE}.svc login elastic password %s\\n' "$(cat /etc/es-user/elastic)" > /tmp/netrc
put() {{
  curl --fail-with-body --silent --show-error --retry 60 --retry-all-errors --retry-delay 10 \\
    --cacert /etc/es-tls/ca.crt --netrc-file /tmp/netrc -H 'Content-Type: application/json' \\
    -X PUT "$es/$1" --data "@/etc/logmesh/$2"
  echo
}}
put _ilm/policy/logmesh-logs ilm-policy.json
put _index_template/logmesh-logs index-template.json
put _snapshot/logmesh-archive snapshot-repository.json
put _slm/policy/logmesh-nightly slm-policy.json
"""


class ElkBackend(LogBackend):
    """Elasticsearch and Kibana through the ECK operator, with ILM, a snapshot repository on the store's bucket
    and a file-realm user for collectors."""

    def __init__(self, name: str, args: BackendArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("logmesh:backends:ElkBackend", name, args, opts)
        platform, store = args.platform, args.store_config
        self.nodes = 1 if platform.environment == "dev" else 3
        self.index_replicas = 0 if self.nodes == 1 else 1

        operator_namespace = self._namespace(ECK_OPERATOR_NAMESPACE, "eck-operator")
        self.operator = self.release(
            "eck-operator",
            ECK_OPERATOR_CHART,
            ECK_OPERATOR_NAMESPACE,
            # The collectors namespace too: a Filebeat collector on this cluster is an ECK Beat there.
            eck_operator_values([BACKEND_NAMESPACE, COLLECTOR_NAMESPACE]),
            [operator_namespace],
        )

        service_dns = [f"{ES_HTTP_SERVICE}.{BACKEND_NAMESPACE}.svc", f"{ES_HTTP_SERVICE}.{BACKEND_NAMESPACE}.svc.cluster.local"]
        ca_pem, tls_secret = self.ingest_tls(service_dns, ELASTICSEARCH_HTTP_TLS_SECRET)
        self.ca_pem = ca_pem
        writer = self.password("collector")
        self.writer_password = _secret(writer.result)
        collector_secret = self.basic_auth_secret(
            ELASTICSEARCH_COLLECTOR_SECRET, "collector-credentials", COLLECTOR_USER, writer.result, roles="logmesh_writer"
        )
        roles_secret = k8s.core.v1.Secret(
            f"{name}-es-roles",
            metadata=_meta(ELASTICSEARCH_ROLES_SECRET),
            type="Opaque",
            string_data={
                "roles.yml": json.dumps(
                    {
                        "logmesh_writer": {
                            "cluster": ["monitor"],
                            "indices": [{"names": [f"{ES_INDEX_PREFIX}*"], "privileges": ["create_doc", "auto_configure"]}],
                        }
                    }
                )
            },
            opts=self.in_namespace,
        )

        self.network_policies(self._policies())
        after_operator = pulumi.ResourceOptions.merge(self.in_namespace, pulumi.ResourceOptions(depends_on=[self.operator]))
        self.elasticsearch = k8s.apiextensions.CustomResource(
            f"{name}-elasticsearch",
            api_version="elasticsearch.k8s.elastic.co/v1",
            kind="Elasticsearch",
            metadata=_meta(ES_NAME),
            spec=self.elasticsearch_spec(),
            opts=pulumi.ResourceOptions.merge(
                after_operator,
                pulumi.ResourceOptions(depends_on=[self.operator, self.service_account, tls_secret, collector_secret, roles_secret]),
            ),
        )
        self.kibana = k8s.apiextensions.CustomResource(
            f"{name}-kibana",
            api_version="kibana.k8s.elastic.co/v1",
            kind="Kibana",
            metadata=_meta(KIBANA_NAME),
            spec={
                "version": ELASTIC_STACK_VERSION,
                "count": 2 if platform.is_prod else 1,
                "elasticsearchRef": {"name": ES_NAME},
                "config": {"xpack.actions.preconfigured": kibana_preconfigured_connectors()},
                "podTemplate": {
                    "spec": {
                        "automountServiceAccountToken": False,
                        "containers": [
                            {"name": "kibana", "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"memory": "2Gi"}}}
                        ],
                    }
                },
            },
            opts=pulumi.ResourceOptions.merge(after_operator, pulumi.ResourceOptions(depends_on=[self.operator, self.elasticsearch])),
        )
        self.setup_job = self._setup_job()
        # What components/alerts.py needs to reach Kibana's API.
        self.kibana_url = f"https://{KIBANA_HTTP_SERVICE}.{BACKEND_NAMESPACE}.svc:{KIBANA_PORT}"
        self.kibana_ca_secret = KIBANA_CA_SECRET
        self.elastic_user_secret = ES_ELASTIC_USER_SECRET

        self.endpoint = BackendEndpoint(
            store=store.name,
            kind="elk",
            host=self.external_host() or service_dns[1],
            port=ES_HTTP_PORT,
            path="",
            ca_pem=ca_pem,
            username=COLLECTOR_USER,
            password=self.writer_password,
            tenants=tuple(c.name for c in platform.clusters_of(store)),
            index_prefix=ES_INDEX_PREFIX,
            credentials_secret=ELASTICSEARCH_COLLECTOR_SECRET,
        )
        self.register_outputs(
            {"host": self.endpoint.host, "port": self.endpoint.port, "ca_pem": ca_pem, "retention_days": self.retention_days}
        )

    def _policies(self) -> list[_Policy]:
        http = _ports(ES_HTTP_PORT)
        return [
            _Policy(
                "elasticsearch-internal",
                ES_SELECTOR,
                ingress=[_Rule(_ports(ES_HTTP_PORT, ES_TRANSPORT_PORT), [_peer(ES_SELECTOR)])],
                egress=[_Rule(_ports(ES_HTTP_PORT, ES_TRANSPORT_PORT), [_peer(ES_SELECTOR)])],
            ),
            _Policy("elasticsearch-object-storage", ES_SELECTOR, egress=self.object_storage_egress()),
            _Policy("collectors-to-elasticsearch", ES_SELECTOR, ingress=[_Rule(http, self.ingest_sources())]),
            _Policy(
                "clients-to-elasticsearch",
                ES_SELECTOR,
                ingress=[
                    _Rule(
                        http,
                        [_peer(KIBANA_SELECTOR), _peer(ES_SETUP_SELECTOR), _peer(ECK_OPERATOR_SELECTOR, namespace=ECK_OPERATOR_NAMESPACE)],
                    )
                ],
            ),
            _Policy("kibana-egress", KIBANA_SELECTOR, egress=[_Rule(http, [_peer(ES_SELECTOR)])]),
            _Policy(
                "clients-to-kibana",
                KIBANA_SELECTOR,
                ingress=[
                    _Rule(
                        _ports(KIBANA_PORT), [_peer(ALERT_RULES_LABELS), _peer(ECK_OPERATOR_SELECTOR, namespace=ECK_OPERATOR_NAMESPACE)]
                    )
                ],
            ),
            _Policy("alert-rules-egress", ALERT_RULES_LABELS, egress=[_Rule(_ports(KIBANA_PORT), [_peer(KIBANA_SELECTOR)])]),
            _Policy("es-setup-egress", ES_SETUP_SELECTOR, egress=[_Rule(http, [_peer(ES_SELECTOR)])]),
        ]

    def data_volume_gi(self) -> int:
        """Each node's share of the hot data: daily volume x retention x copies, plus 25% headroom."""
        total = self.args.platform.daily_volume_gb * self.retention_days * (1 + self.index_replicas) * 1.25
        return max(10, math.ceil(total / self.nodes))

    def elasticsearch_spec(self) -> dict[str, Any]:
        args = self.args
        config: dict[str, Any] = {
            # Without mmap, Elasticsearch needs no privileged sysctl init container (restricted Pod Security).
            "node.store.allow_mmap": False,
        }
        container: dict[str, Any] = {
            "name": "elasticsearch",
            "resources": {"requests": {"cpu": "2", "memory": "8Gi"}, "limits": {"memory": "8Gi"}},
        }
        pod_spec: dict[str, Any] = {
            "serviceAccountName": self.service_account_ref.name,
            "automountServiceAccountToken": False,
            "containers": [container],
        }
        if args.store_config.cloud == "aws":
            config["s3.client.default.endpoint"] = f"s3.{args.store.region}.amazonaws.com"
            # repository-s3 reads the IRSA token only from inside the config directory (its security policy).
            token_dir = "/usr/share/elasticsearch/config/repository-s3"
            container["env"] = [
                {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": f"{token_dir}/aws-web-identity-token-file"},
                {"name": "AWS_ROLE_ARN", "value": args.store.identity},
            ]
            container["volumeMounts"] = [{"name": "aws-iam-token", "mountPath": token_dir, "readOnly": True}]
            pod_spec["volumes"] = [
                {
                    "name": "aws-iam-token",
                    "projected": {
                        "sources": [
                            {
                                "serviceAccountToken": {
                                    "audience": "sts.amazonaws.com",
                                    "expirationSeconds": 86400,
                                    "path": "aws-web-identity-token-file",
                                }
                            }
                        ]
                    },
                }
            ]
        return {
            "version": ELASTIC_STACK_VERSION,
            "http": {
                # HTTP TLS with the store's ingest certificate (ECK keeps TLS on unless told otherwise; it is not).
                "tls": {"certificate": {"secretName": ELASTICSEARCH_HTTP_TLS_SECRET}},
                "service": {
                    "metadata": {"annotations": self.load_balancer_annotations()},
                    "spec": {"type": "LoadBalancer" if self.exposed else "ClusterIP"},
                },
            },
            "auth": {
                "roles": [{"secretName": ELASTICSEARCH_ROLES_SECRET}],
                "fileRealm": [{"secretName": ELASTICSEARCH_COLLECTOR_SECRET}],
            },
            "nodeSets": [
                {
                    "name": "default",
                    "count": self.nodes,
                    "config": config,
                    "podTemplate": {"spec": pod_spec},
                    "volumeClaimTemplates": [
                        {
                            "metadata": {"name": "elasticsearch-data"},
                            "spec": {
                                "accessModes": ["ReadWriteOnce"],
                                "resources": {"requests": {"storage": f"{self.data_volume_gi()}Gi"}},
                            },
                        }
                    ],
                }
            ],
        }

    def setup_documents(self) -> dict[str, pulumi.Input[str]]:
        args = self.args
        base_path = f"elasticsearch/{args.store_config.name}"
        return {
            "setup.sh": SETUP_SCRIPT,
            "ilm-policy.json": json.dumps(ilm_policy(self.retention_days), indent=2),
            "index-template.json": json.dumps(index_template(self.index_replicas), indent=2),
            "snapshot-repository.json": args.store.bucket_name.apply(
                lambda bucket: json.dumps(snapshot_repository(args.store_config.cloud, bucket, base_path), indent=2)
            ),
            "slm-policy.json": json.dumps(slm_policy(self.retention_days), indent=2),
        }

    def _setup_job(self) -> k8s.batch.v1.Job:
        """Applies ILM, the index template, the snapshot repository and SLM through the Elasticsearch API.

        Every call is an idempotent PUT. The ConfigMap is auto-named, so a change to any document replaces it,
        which replaces the Job, which runs again."""
        config = k8s.core.v1.ConfigMap(
            f"{self.name}-es-setup",
            metadata=k8s.meta.v1.ObjectMetaArgs(namespace=BACKEND_NAMESPACE, labels=dict(MANAGED_BY_LABELS)),
            data=self.setup_documents(),
            opts=self.in_namespace,
        )
        volumes = [
            k8s.core.v1.VolumeArgs(name="setup", config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=config.metadata.name)),
            k8s.core.v1.VolumeArgs(
                name="es-user",
                secret=k8s.core.v1.SecretVolumeSourceArgs(
                    secret_name=ES_ELASTIC_USER_SECRET, items=[k8s.core.v1.KeyToPathArgs(key="elastic", path="elastic")]
                ),
            ),
            k8s.core.v1.VolumeArgs(
                name="es-tls",
                secret=k8s.core.v1.SecretVolumeSourceArgs(
                    secret_name=ELASTICSEARCH_HTTP_TLS_SECRET, items=[k8s.core.v1.KeyToPathArgs(key="ca.crt", path="ca.crt")]
                ),
            ),
            k8s.core.v1.VolumeArgs(name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="16Mi")),
        ]
        mounts = [
            k8s.core.v1.VolumeMountArgs(name="setup", mount_path="/etc/logmesh", read_only=True),
            k8s.core.v1.VolumeMountArgs(name="es-user", mount_path="/etc/es-user", read_only=True),
            k8s.core.v1.VolumeMountArgs(name="es-tls", mount_path="/etc/es-tls", read_only=True),
            k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
        ]
        return k8s.batch.v1.Job(
            f"{self.name}-es-setup",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                namespace=BACKEND_NAMESPACE, labels={**MANAGED_BY_LABELS, **ES_SETUP_SELECTOR}
            ),
            spec=k8s.batch.v1.JobSpecArgs(
                backoff_limit=6,
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=dict(ES_SETUP_SELECTOR)),
                    spec=k8s.core.v1.PodSpecArgs(
                        restart_policy="OnFailure",
                        automount_service_account_token=False,
                        security_context=k8s.core.v1.PodSecurityContextArgs(
                            run_as_non_root=True,
                            run_as_user=100,
                            run_as_group=101,
                            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
                        ),
                        containers=[
                            k8s.core.v1.ContainerArgs(
                                name="setup",
                                image=ES_SETUP_IMAGE,
                                command=["/bin/sh", "/etc/logmesh/setup.sh"],
                                volume_mounts=mounts,
                                resources=k8s.core.v1.ResourceRequirementsArgs(
                                    requests={"cpu": "10m", "memory": "16Mi"}, limits={"memory": "64Mi"}
                                ),
                                security_context=k8s.core.v1.SecurityContextArgs(
                                    allow_privilege_escalation=False,
                                    read_only_root_filesystem=True,
                                    run_as_non_root=True,
                                    capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
                                ),
                            )
                        ],
                        volumes=volumes,
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions.merge(
                self.in_namespace,
                pulumi.ResourceOptions(depends_on=[self.elasticsearch], custom_timeouts=pulumi.CustomTimeouts(create="20m", update="20m")),
            ),
        )
