"""What both backends share: namespace, service account, ingest TLS, credentials, network policies, retention."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.backends.interface import BackendArgs, BackendEndpoint
from components.backends.network import Policy, base_policies
from components.certificates import SERVER_USES, authority, issue
from components.identity import backend_service_account
from components.kubernetes import Chart, restricted_namespace
from components.names import BACKEND_NAMESPACE, MANAGED_BY_LABELS


class RetentionError(ValueError):
    """The backend would keep data longer than its bucket keeps objects."""


def checked_retention_days(args: BackendArgs) -> int:
    """Days the backend keeps logs queryable: the store's figure, never longer than the bucket keeps objects."""
    days = args.store.backend_retention_days
    archive = args.platform.retention.archive_days
    if not 1 <= days <= archive:
        raise RetentionError(
            f"store {args.store_config.id}: backend retention {days} days must be between 1 and the bucket's "
            f"{archive} days (logmesh:retention.archive_days); the backend must never outlive its bucket"
        )
    return days


def secret(value: pulumi.Input[str]) -> pulumi.Output[str]:
    return pulumi.Output.secret(value)


def backend_meta(name: str, namespace: str = BACKEND_NAMESPACE, **labels: str) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels={**MANAGED_BY_LABELS, **labels})


def internal_load_balancer(cloud: str, host: str | None) -> dict[str, str]:
    """Service annotations for an internal load balancer whose DNS record external-dns publishes as `host`."""
    if host is None:
        return {}
    annotations = {"external-dns.alpha.kubernetes.io/hostname": host}
    if cloud == "aws":
        return annotations | {
            "service.beta.kubernetes.io/aws-load-balancer-type": "external",
            "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
            "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
        }
    return annotations | {"networking.gke.io/load-balancer-type": "Internal"}


def serving_tls(
    name: str,
    ca_name: str,
    dns_names: Sequence[str],
    metadata: k8s.meta.v1.ObjectMetaArgs,
    parent: pulumi.Resource,
    secret_opts: pulumi.ResourceOptions,
    purpose: str = "ingest",
    pkcs8: bool = False,
) -> tuple[pulumi.Output[str], k8s.core.v1.Secret]:
    """A CA and a serving certificate for `dns_names` (the first is the subject), kept in a kubernetes.io/tls Secret
    with the CA as `ca.crt`; the CA certificate is returned for clients to verify against. `pkcs8`: the key in
    PKCS#8 (what Logstash's inputs read)."""
    opts = pulumi.ResourceOptions(parent=parent)
    ca = authority(f"{name}-{purpose}", ca_name, opts)
    server = issue(f"{name}-{purpose}", ca, dns_names[0], dns_names, SERVER_USES, opts)
    tls_secret = k8s.core.v1.Secret(
        f"{name}-{purpose}-tls",
        metadata=metadata,
        type="kubernetes.io/tls",
        string_data={
            "tls.crt": server.cert.cert_pem,
            "tls.key": secret(server.key.private_key_pem_pkcs8 if pkcs8 else server.key.private_key_pem),
            "ca.crt": ca.cert.cert_pem,
        },
        opts=secret_opts,
    )
    return ca.cert.cert_pem, tls_secret


def network_policy(resource_name: str, policy: Policy, opts: pulumi.ResourceOptions) -> k8s.networking.v1.NetworkPolicy:
    """One allow (or the default deny) of network.py's language as a NetworkPolicy in the backend namespace."""
    return k8s.networking.v1.NetworkPolicy(
        resource_name,
        metadata=backend_meta(policy.name),
        spec=k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(policy.pods) or None),
            policy_types=policy.types,
            ingress=[k8s.networking.v1.NetworkPolicyIngressRuleArgs(ports=r.ports, from_=r.peers) for r in policy.ingress] or None,
            egress=[k8s.networking.v1.NetworkPolicyEgressRuleArgs(ports=r.ports, to=r.peers) for r in policy.egress] or None,
        ),
        opts=opts,
    )


def network_policy_resources(name: str, policies: Sequence[Policy], opts: pulumi.ResourceOptions) -> list[k8s.networking.v1.NetworkPolicy]:
    """NetworkPolicies in the backend namespace from their data (network.Policy)."""
    return [network_policy(f"{name}-netpol-{policy.name}", policy, opts) for policy in policies]


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
        return f"{self.args.store_config.id}.{domain}" if domain else None

    def load_balancer_annotations(self, host: str | None = None) -> dict[str, str]:
        """An internal load balancer whose DNS record external-dns publishes as `host` (default: the ingest host,
        `<store>.<ingest_domain>`)."""
        return internal_load_balancer(self.args.store_config.cloud, host or self.external_host())

    def _namespace(self, namespace: str, purpose: str) -> k8s.core.v1.Namespace:
        return restricted_namespace(f"{self.name}-{purpose}-namespace", namespace, self.child)

    def ingest_tls(self, service_dns: Sequence[str], secret_name: str) -> tuple[pulumi.Output[str], k8s.core.v1.Secret]:
        """A per-store CA and a serving certificate for the ingest endpoint, kept in a kubernetes.io/tls Secret."""
        host = self.external_host()
        return serving_tls(
            self.name,
            f"logmesh {self.args.store_config.id} ingest CA",
            [*([host] if host else []), *service_dns],
            backend_meta(secret_name),
            self,
            self.in_namespace,
        )

    def password(self, purpose: str) -> random.RandomPassword:
        # Letters and digits only: the value goes into htpasswd files, netrc lines and YAML unquoted.
        return random.RandomPassword(f"{self.name}-{purpose}-password", length=40, special=False, opts=pulumi.ResourceOptions(parent=self))

    def basic_auth_secret(self, name: str, resource: str, username: str, password: pulumi.Output[str], **extra: str) -> k8s.core.v1.Secret:
        return k8s.core.v1.Secret(
            f"{self.name}-{resource}",
            metadata=backend_meta(name),
            type="kubernetes.io/basic-auth",
            string_data={"username": username, "password": secret(password), **extra},
            opts=self.in_namespace,
        )

    def network_policies(self, policies: Sequence[Policy]) -> list[k8s.networking.v1.NetworkPolicy]:
        """The namespace's base policies (network.base_policies), then each explicit allow."""
        return network_policy_resources(self.name, [*base_policies(), *policies], self.in_namespace)

    def release(
        self, resource: str, chart: Chart, namespace: str, values: Mapping[str, Any], depends_on: Sequence[pulumi.Resource]
    ) -> k8s.helm.v3.Release:
        opts = pulumi.ResourceOptions.merge(self.in_namespace, pulumi.ResourceOptions(depends_on=list(depends_on)))
        return chart.release(f"{self.name}-{resource}", namespace, values, opts)
