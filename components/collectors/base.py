"""The collector in every cluster: Fluent Bit (default), Grafana Alloy (Loki only) or Filebeat through ECK (ELK only).

Every collector component has the same shape: a `collectors` namespace, read-only RBAC (get, list, watch on pods,
namespaces and nodes), the backend's CA in a ConfigMap (a CA certificate is public), the backend password in a
Secret read through secretKeyRef environment variables (never in Helm values, ConfigMaps or env literals), a
DaemonSet that buffers on a bounded hostPath, and output to the cluster's store over verified TLS with the cluster
as tenant (Loki) or data stream namespace (Elasticsearch). Mesh access logs are parsed by the rules in
components/mesh.py, rendered for each collector by its *_config module.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.collectors.interface import (
    CA_CONFIGMAP,
    COLLECTOR_LABELS,
    COLLECTOR_RESOURCES,
    COLLECTOR_VERBS,
    CREDENTIALS_SECRET,
    DENY_INGRESS_POLICY,
    SERVICE_ACCOUNT,
    CollectorArgs,
)
from components.kubernetes import Chart
from components.names import CLUSTER_LABEL, COLLECTOR_NAMESPACE, STORE_LABEL, data_stream, tenant
from components.sinks.datadog import DatadogSink, DatadogSinkArgs


class Collector(pulumi.ComponentResource):
    """What every collector kind shares: namespace, RBAC, CA and credentials; the subclass adds the DaemonSet."""

    kind: str = ""
    cluster: pulumi.Output[str]
    store: pulumi.Output[str]
    tenant: pulumi.Output[str]
    namespace_name: pulumi.Output[str]
    endpoint_host: pulumi.Output[str]

    def __init__(self, name: str, args: CollectorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"logmesh:collectors:{self.kind}Collector", name, None, opts)
        self.args = args
        self._child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        self.labels = {**COLLECTOR_LABELS, CLUSTER_LABEL: args.cluster.id, STORE_LABEL: args.endpoint.store}
        self.namespace = self._namespace(name)
        self._depends = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[self.namespace])
        self.service_account = self._rbac(name)
        self.ca = self._ca(name)
        self.credentials = self._credentials(name)
        self.network_policy = self._deny_ingress(name)
        self.datadog = self._datadog(name)
        self.workload = self._workload(name)
        self.cluster = pulumi.Output.from_input(args.cluster.id)
        self.store = pulumi.Output.from_input(args.endpoint.store)
        self.tenant = pulumi.Output.from_input(self.target())
        self.namespace_name = pulumi.Output.from_input(COLLECTOR_NAMESPACE)
        self.endpoint_host = pulumi.Output.from_input(args.endpoint.host)
        self.register_outputs(
            {
                "cluster": self.cluster,
                "store": self.store,
                "tenant": self.tenant,
                "namespace": self.namespace_name,
                "endpoint_host": self.endpoint_host,
            }
        )

    def target(self) -> str:
        endpoint = self.args.endpoint
        return tenant(self.args.cluster) if endpoint.kind == "loki" else data_stream(self.args.cluster, endpoint.index_prefix)

    def _workload(self, name: str) -> pulumi.Resource:
        raise TypeError(f"{type(self).__name__} must define its workload")

    def _meta(self, object_name: str, namespace: str | None = COLLECTOR_NAMESPACE) -> k8s.meta.v1.ObjectMetaArgs:
        return k8s.meta.v1.ObjectMetaArgs(name=object_name, namespace=namespace, labels=self.labels)

    def _namespace(self, name: str) -> k8s.core.v1.Namespace:
        # Reading the node's /var/log needs hostPath volumes and root: the privileged Pod Security level,
        # limited to this namespace (soc2-controls.md notes: a documented exception for root collectors).
        return k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=COLLECTOR_NAMESPACE,
                labels={
                    **self.labels,
                    "pod-security.kubernetes.io/enforce": "privileged",
                    "pod-security.kubernetes.io/warn": "baseline",
                    "pod-security.kubernetes.io/audit": "baseline",
                },
                annotations={"logmesh.io/runs-as-root": "reads host container logs under /var/log and buffers on a hostPath"},
            ),
            opts=self._child,
        )

    def _rbac(self, name: str) -> k8s.core.v1.ServiceAccount:
        account = k8s.core.v1.ServiceAccount(f"{name}-sa", metadata=self._meta(SERVICE_ACCOUNT), opts=self._depends)
        role_name = f"logmesh-collector-{self.args.cluster.id}"
        role = k8s.rbac.v1.ClusterRole(
            f"{name}-role",
            metadata=self._meta(role_name, None),
            rules=[k8s.rbac.v1.PolicyRuleArgs(api_groups=[""], resources=COLLECTOR_RESOURCES, verbs=COLLECTOR_VERBS)],
            opts=self._child,
        )
        k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-binding",
            metadata=self._meta(role_name, None),
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=role_name),
            subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=SERVICE_ACCOUNT, namespace=COLLECTOR_NAMESPACE)],
            opts=pulumi.ResourceOptions(parent=self, provider=self.args.provider, depends_on=[role, account]),
        )
        return account

    def _ca(self, name: str) -> k8s.core.v1.ConfigMap:
        return k8s.core.v1.ConfigMap(
            f"{name}-ca", metadata=self._meta(CA_CONFIGMAP), data={"ca.crt": self.args.endpoint.ca_pem}, opts=self._depends
        )

    def _credentials(self, name: str) -> k8s.core.v1.Secret:
        endpoint = self.args.endpoint
        password: pulumi.Output[str] = endpoint.password.apply(lambda value: pulumi.Output.secret(value))
        data: dict[str, pulumi.Input[str]] = {"username": endpoint.username, "password": password}
        if endpoint.shared_key is not None:
            data["shared_key"] = endpoint.shared_key.apply(lambda value: pulumi.Output.secret(value))
        return k8s.core.v1.Secret(
            f"{name}-credentials",
            metadata=self._meta(CREDENTIALS_SECRET),
            type="Opaque",
            string_data=data,
            opts=pulumi.ResourceOptions.merge(self._depends, pulumi.ResourceOptions(additional_secret_outputs=["stringData", "data"])),
        )

    def _datadog(self, name: str) -> DatadogSink | None:
        """The cluster's Datadog sink (its API key Secret), when the stack sends this cluster's logs to Datadog."""
        platform, cluster = self.args.platform, self.args.cluster
        if platform.datadog is None or not platform.sends_to_datadog(cluster):
            return None
        args = DatadogSinkArgs(cluster, platform.datadog, self.args.provider, self.labels, self.namespace)
        return DatadogSink(f"{name}-datadog", args, pulumi.ResourceOptions(parent=self))

    def _deny_ingress(self, name: str) -> k8s.networking.v1.NetworkPolicy:
        """No pod in the namespace accepts connections: Fluent Bit's HTTP server (2020) and Alloy's UI (12345) serve
        metrics, health, the pipeline and its configuration, and logmesh configures no scraper for them (the charts'
        ServiceMonitors stay off). The kubelet's probes come from the node, which a NetworkPolicy does not restrict.
        Egress stays open: collectors ship to other clusters' load balancers, whose addresses a policy cannot name,
        and read pod metadata from the API server, whose address differs per cluster."""
        return k8s.networking.v1.NetworkPolicy(
            f"{name}-deny-ingress",
            metadata=self._meta(DENY_INGRESS_POLICY),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(pod_selector=k8s.meta.v1.LabelSelectorArgs(), policy_types=["Ingress"]),
            opts=self._depends,
        )

    def _workload_depends(self) -> pulumi.ResourceOptions:
        # The policy first, so no collector pod ever runs reachable.
        return pulumi.ResourceOptions(
            parent=self,
            provider=self.args.provider,
            depends_on=[self.namespace, self.service_account, self.ca, self.credentials, self.network_policy]
            + ([self.datadog.secret] if self.datadog is not None else []),
        )

    def _helm_release(self, name: str, chart: Chart, values: dict[str, Any]) -> k8s.helm.v3.Release:
        """The chart as a release named after it in the collectors namespace, after the shared objects."""
        return chart.release(f"{name}-{chart.name}", COLLECTOR_NAMESPACE, values, self._workload_depends())
