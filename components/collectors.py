"""The collector in every cluster: Fluent Bit (default), Grafana Alloy (Loki only) or Filebeat through ECK (ELK only).

Every collector component has the same shape: a `collectors` namespace, read-only RBAC (get, list, watch on pods,
namespaces and nodes), the backend's CA in a ConfigMap (a CA certificate is public), the backend password in a
Secret read through secretKeyRef environment variables (never in Helm values, ConfigMaps or env literals), a
DaemonSet that buffers on a bounded hostPath, and output to the cluster's store over verified TLS with the cluster
as tenant (Loki) or data stream namespace (Elasticsearch). Mesh access logs are parsed by the rules in
components/mesh.py, rendered here for each collector.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.backends.interface import BackendEndpoint
from components.config import ClusterConfig, PlatformConfig
from components.kubernetes import Chart, eck_operator_values, restricted_namespace
from components.mesh import ACCESS_LOG_FORMATS, CANONICAL_FIELDS, AccessLogFormat, onigmo, re2, rules_as_data
from components.names import CLUSTER_LABEL, COLLECTOR_NAMESPACE, ECK_OPERATOR_NAMESPACE, STORE_LABEL, data_stream, tenant
from components.pins import ALLOY_CHART, ECK_OPERATOR_CHART, FILEBEAT_VERSION, FLUENT_BIT_CHART

SERVICE_ACCOUNT = "logmesh-collector"
CREDENTIALS_SECRET = "logmesh-output-credentials"
DENY_INGRESS_POLICY = "logmesh-collectors-deny-ingress"
CA_CONFIGMAP = "logmesh-backend-ca"
CA_DIR = "/etc/logmesh/ca"
CA_FILE = f"{CA_DIR}/ca.crt"
USERNAME_ENV = "LOGMESH_OUTPUT_USERNAME"
PASSWORD_ENV = "LOGMESH_OUTPUT_PASSWORD"
# Node-local buffer directory (hostPath) and the bound on what the buffers there may hold.
BUFFER_HOST_PATH = "/var/lib/logmesh-collector"
BUFFER_LIMIT = "4G"
# Label every collector object carries, so policies find the collector of each cluster.
COLLECTOR_LABELS = {"app.kubernetes.io/part-of": "logmesh", "app.kubernetes.io/component": "collector"}
# The only API access a collector needs to enrich records with pod, namespace and node metadata.
COLLECTOR_RESOURCES = ["pods", "namespaces", "nodes"]
COLLECTOR_VERBS = ["get", "list", "watch"]
RESOURCES = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}}


@dataclass(frozen=True)
class CollectorArgs:
    platform: PlatformConfig
    cluster: ClusterConfig
    provider: k8s.Provider
    endpoint: BackendEndpoint
    # The backend that runs on this cluster, if one does: Filebeat's Beat waits for its ECK operator.
    backend_here: pulumi.Resource | None = None


def helm_literal(text: str) -> str:
    """`text` as a Helm `tpl` argument that renders to itself: both charts pass their config strings through `tpl`,
    which would evaluate Alloy's own `{{ }}` templates (stage.template)."""
    return re.sub(r"\{\{|\}\}", lambda m: '{{"' + m.group() + '"}}', text)


def static_labels(platform: PlatformConfig, cluster: ClusterConfig) -> dict[str, str]:
    """The low-cardinality labels of every log line besides its Kubernetes namespace."""
    return {"cloud": cluster.cloud, "cluster": cluster.name, "environment": platform.environment}


def _secret_env() -> list[dict[str, Any]]:
    return [
        {"name": env, "valueFrom": {"secretKeyRef": {"name": CREDENTIALS_SECRET, "key": key}}}
        for env, key in ((USERNAME_ENV, "username"), (PASSWORD_ENV, "password"))
    ]


class Collector(pulumi.ComponentResource):
    """What every collector kind shares: namespace, RBAC, CA and credentials; the subclass adds the DaemonSet."""

    kind: str = ""
    cluster: pulumi.Output[str]
    store: pulumi.Output[str]
    tenant: pulumi.Output[str]
    namespace: pulumi.Output[str]
    endpoint_host: pulumi.Output[str]

    def __init__(self, name: str, args: CollectorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"logmesh:collectors:{self.kind}Collector", name, None, opts)
        self.args = args
        self._child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        self.labels = {**COLLECTOR_LABELS, CLUSTER_LABEL: args.cluster.name, STORE_LABEL: args.endpoint.store}
        self.ns = self._namespace(name)
        self._depends = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[self.ns])
        self.service_account = self._rbac(name)
        self.ca = self._ca(name)
        self.credentials = self._credentials(name)
        self.network_policy = self._deny_ingress(name)
        self.workload = self._workload(name)
        self.cluster = pulumi.Output.from_input(args.cluster.name)
        self.store = pulumi.Output.from_input(args.endpoint.store)
        self.tenant = pulumi.Output.from_input(self.target())
        self.namespace = pulumi.Output.from_input(COLLECTOR_NAMESPACE)
        self.endpoint_host = pulumi.Output.from_input(args.endpoint.host)
        self.register_outputs(
            {
                "cluster": self.cluster,
                "store": self.store,
                "tenant": self.tenant,
                "namespace": self.namespace,
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
        role_name = f"logmesh-collector-{self.args.cluster.name}"
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
        return k8s.core.v1.Secret(
            f"{name}-credentials",
            metadata=self._meta(CREDENTIALS_SECRET),
            type="Opaque",
            string_data={"username": endpoint.username, "password": password},
            opts=pulumi.ResourceOptions.merge(self._depends, pulumi.ResourceOptions(additional_secret_outputs=["stringData", "data"])),
        )

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
            depends_on=[self.ns, self.service_account, self.ca, self.credentials, self.network_policy],
        )

    def _helm_release(self, name: str, chart: Chart, values: dict[str, Any]) -> k8s.helm.v3.Release:
        """The chart as a release named after it in the collectors namespace, after the shared objects."""
        return chart.release(f"{name}-{chart.name}", COLLECTOR_NAMESPACE, values, self._workload_depends())


# --- Fluent Bit ----------------------------------------------------------------------------------------------------

FLUENT_BIT_STATE = "/var/fluent-bit/state"
FLUENT_BIT_LUA = "logmesh_mesh.lua"


def fluent_bit_parsers() -> str:
    """The mesh parsers: a JSON decoder, the Envoy text regex, and one regex per extracting field rule."""
    blocks = ["[PARSER]\n    Name   logmesh_json\n    Format json"]
    for fmt in ACCESS_LOG_FORMATS:
        if fmt.regex is not None:
            blocks.append(f"[PARSER]\n    Name   logmesh_{fmt.name.replace('-', '_')}\n    Format regex\n    Regex  {onigmo(fmt.regex)}")
        for rule in fmt.rules:
            # Text formats share their JSON twin's rules; an extracting rule needs one parser per JSON format.
            if rule.pattern is not None and fmt.encoding == "json":
                blocks.append(
                    f"[PARSER]\n    Name   {_extract_parser(fmt, rule.field)}\n    Format regex\n"
                    f"    Regex  {onigmo(rule.pattern, {'value': rule.field})}"
                )
    return "\n\n".join(blocks) + "\n"


def _extract_parser(fmt: AccessLogFormat, field: str) -> str:
    return f"logmesh_{fmt.name.replace('-', '_')}_{field}"


def _proxy_match(container: str) -> str:
    # Tail tags are kube.<path with dots>: kube.var.log.containers.<pod>_<namespace>_<container>-<id>.log
    return f"kube.*_{container}-*"


def fluent_bit_lua() -> str:
    """Canonical fields from decoded access logs (rename and unit rules), generated from components/mesh.py.

    Extracting rules (a regex on a key) run before this as parser filters; here only plain and scaled copies."""
    formats = [
        {**{k: v for k, v in fmt.items() if k in ("name", "marker")}, "rules": [r for r in fmt["rules"] if "pattern" not in r]}
        for fmt in rules_as_data()
        if fmt["encoding"] == "json" or "regex" in fmt
    ]
    # Text formats share their JSON twin's keys and rules; keep one entry per marker.
    unique = list({fmt["marker"]: fmt for fmt in formats}.values())
    return (
        "-- Generated from components/mesh.py ACCESS_LOG_FORMATS; do not edit.\n"
        f"local formats = {_lua(unique)}\n"
        "local empty = { [''] = true, ['-'] = true }\n"
        "function normalize_access_log(tag, timestamp, record)\n"
        "  for _, format in ipairs(formats) do\n"
        "    if record[format.marker] ~= nil then\n"
        "      for _, rule in ipairs(format.rules) do\n"
        "        local value = record[rule.source]\n"
        "        if value ~= nil and not empty[tostring(value)] then\n"
        "          if rule.scale ~= nil then value = tonumber(value) * rule.scale end\n"
        "          if rule.numeric then value = tonumber(value) end\n"
        "          if value ~= nil then record[rule.field] = value end\n"
        "        elseif rule.field == rule.source then\n"
        "          record[rule.field] = nil\n"
        "        end\n"
        "      end\n"
        "      return 2, timestamp, record\n"
        "    end\n"
        "  end\n"
        "  return 0, timestamp, record\n"
        "end\n"
    )


def _lua(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"[{json.dumps(k)}] = {_lua(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "{ " + ", ".join(_lua(v) for v in value) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value)


def fluent_bit_filters(platform: PlatformConfig, cluster: ClusterConfig, kind: str) -> str:
    blocks = [
        "[FILTER]\n    Name                kubernetes\n    Match               kube.*\n    Merge_Log           Off\n"
        "    Keep_Log            On\n    K8S-Logging.Parser  Off\n    K8S-Logging.Exclude Off\n    Labels              Off\n"
        "    Annotations         Off\n    Buffer_Size         0"
    ]
    for container in dict.fromkeys(f.container for f in ACCESS_LOG_FORMATS):
        match = _proxy_match(container)
        formats = [f for f in ACCESS_LOG_FORMATS if f.container == container]
        parsers = ["logmesh_json"] + [f"logmesh_{f.name.replace('-', '_')}" for f in formats if f.regex is not None]
        blocks.append(
            f"[FILTER]\n    Name         parser\n    Match        {match}\n    Key_Name     log\n"
            + "".join(f"    Parser       {p}\n" for p in parsers)
            + "    Reserve_Data On\n    Preserve_Key On"
        )
        for fmt in formats:
            for rule in fmt.rules:
                if rule.pattern is not None and fmt.encoding == "json":
                    blocks.append(
                        f"[FILTER]\n    Name         parser\n    Match        {match}\n    Key_Name     {rule.source}\n"
                        f"    Parser       {_extract_parser(fmt, rule.field)}\n    Reserve_Data On\n    Preserve_Key On"
                    )
    blocks.append(
        f"[FILTER]\n    Name   lua\n    Match  kube.*\n    script /fluent-bit/scripts/{FLUENT_BIT_LUA}\n    call   normalize_access_log"
    )
    if kind == "elk":
        # Elasticsearch has no stream labels: the same labels become ECS `labels.*` fields.
        adds = "".join(f"    Add       logmesh_label_{k} {v}\n" for k, v in static_labels(platform, cluster).items())
        blocks.append(f"[FILTER]\n    Name      modify\n    Match     kube.*\n{adds}".rstrip())
        blocks.append(
            "[FILTER]\n    Name          nest\n    Match         kube.*\n    Operation     nest\n"
            "    Wildcard      logmesh_label_*\n    Nest_under    labels\n    Remove_prefix logmesh_label_"
        )
    return "\n\n".join(dict.fromkeys(blocks)) + "\n"


def fluent_bit_output(platform: PlatformConfig, cluster: ClusterConfig, endpoint: BackendEndpoint) -> pulumi.Output[str]:
    # tls.verify checks the chain only; the host name is checked only with tls.verify_hostname (default Off).
    common = (
        f"    tls                      On\n    tls.verify               On\n    tls.verify_hostname      On\n"
        f"    tls.ca_file              {CA_FILE}\n"
        "    Retry_Limit              no_limits\n"
        f"    storage.total_limit_size {BUFFER_LIMIT}\n"
    )

    def render(host: str) -> str:
        if endpoint.kind == "loki":
            labels = ", ".join(f"{k}={v}" for k, v in static_labels(platform, cluster).items())
            metadata = ", ".join(f"{field}=${field}" for field in CANONICAL_FIELDS)
            return (
                "[OUTPUT]\n    Name                     loki\n    Match                    kube.*\n"
                f"    host                     {host}\n    port                     {endpoint.port}\n"
                f"    uri                      {endpoint.path}\n    tenant_id                {tenant(cluster)}\n"
                f"    http_user                ${{{USERNAME_ENV}}}\n    http_passwd              ${{{PASSWORD_ENV}}}\n"
                f"    labels                   {labels}, namespace=$kubernetes['namespace_name']\n"
                f"    structured_metadata      {metadata}\n"
                "    line_format              json\n" + common
            )
        return (
            "[OUTPUT]\n    Name                     es\n    Match                    kube.*\n"
            f"    Host                     {host}\n    Port                     {endpoint.port}\n"
            f"    HTTP_User                ${{{USERNAME_ENV}}}\n    HTTP_Passwd              ${{{PASSWORD_ENV}}}\n"
            f"    Index                    {data_stream(cluster)}\n    Write_Operation          create\n"
            "    Suppress_Type_Name       On\n    Replace_Dots             On\n    Trace_Error              On\n" + common
        )

    return pulumi.Output.from_input(endpoint.host).apply(lambda host: helm_literal(render(host)))


def fluent_bit_values(platform: PlatformConfig, cluster: ClusterConfig, endpoint: BackendEndpoint) -> dict[str, Any]:
    service = (
        "[SERVICE]\n    Daemon                    Off\n    Flush                     1\n    Log_Level                 info\n"
        "    Parsers_File              /fluent-bit/etc/parsers.conf\n"
        "    Parsers_File              /fluent-bit/etc/conf/custom_parsers.conf\n"
        "    HTTP_Server               On\n    HTTP_Listen               0.0.0.0\n    HTTP_Port                 2020\n"
        "    Health_Check              On\n"
        f"    storage.path              {FLUENT_BIT_STATE}/flb-storage/\n    storage.sync              normal\n"
        "    storage.checksum          off\n    storage.max_chunks_up     128\n    storage.backlog.mem_limit 16M\n"
    )
    inputs = (
        "[INPUT]\n    Name              tail\n    Path              /var/log/containers/*.log\n"
        "    multiline.parser  docker, cri\n    Tag               kube.*\n    Skip_Long_Lines   On\n"
        f"    DB                {FLUENT_BIT_STATE}/flb_kube.db\n    DB.locking        true\n"
        "    Mem_Buf_Limit     16MB\n    storage.type      filesystem\n    Refresh_Interval  10\n"
    )
    return {
        "kind": "DaemonSet",
        "serviceAccount": {"create": False, "name": SERVICE_ACCOUNT},
        "rbac": {"create": False},
        "podSecurityPolicy": {"create": False},
        "resources": RESOURCES,
        "env": _secret_env(),
        "labels": COLLECTOR_LABELS,
        "podLabels": COLLECTOR_LABELS,
        "luaScripts": {FLUENT_BIT_LUA: helm_literal(fluent_bit_lua())},
        "daemonSetVolumes": [
            {"name": "varlog", "hostPath": {"path": "/var/log"}},
            {"name": "varlibdockercontainers", "hostPath": {"path": "/var/lib/docker/containers"}},
            {"name": "etcmachineid", "hostPath": {"path": "/etc/machine-id", "type": "File"}},
            {"name": "buffer", "hostPath": {"path": f"{BUFFER_HOST_PATH}/fluent-bit", "type": "DirectoryOrCreate"}},
            {"name": "backend-ca", "configMap": {"name": CA_CONFIGMAP}},
        ],
        "daemonSetVolumeMounts": [
            {"name": "varlog", "mountPath": "/var/log", "readOnly": True},
            {"name": "varlibdockercontainers", "mountPath": "/var/lib/docker/containers", "readOnly": True},
            {"name": "etcmachineid", "mountPath": "/etc/machine-id", "readOnly": True},
            {"name": "buffer", "mountPath": FLUENT_BIT_STATE},
            {"name": "backend-ca", "mountPath": CA_DIR, "readOnly": True},
        ],
        "config": {
            "service": helm_literal(service),
            "inputs": helm_literal(inputs),
            "filters": helm_literal(fluent_bit_filters(platform, cluster, endpoint.kind)),
            "outputs": fluent_bit_output(platform, cluster, endpoint),
            "customParsers": helm_literal(fluent_bit_parsers()),
        },
    }


class FluentBitCollector(Collector):
    kind = "FluentBit"

    def _workload(self, name: str) -> pulumi.Resource:
        args = self.args
        return self._helm_release(name, FLUENT_BIT_CHART, fluent_bit_values(args.platform, args.cluster, args.endpoint))


# --- Grafana Alloy -------------------------------------------------------------------------------------------------

ALLOY_DATA = "/var/lib/alloy/data"


def _river_string(value: str) -> str:
    return json.dumps(value)


def alloy_mesh_stages() -> str:
    """loki.process stages that parse mesh access logs into the canonical fields (rules from components/mesh.py)."""
    stages: list[str] = []
    for container in dict.fromkeys(f.container for f in ACCESS_LOG_FORMATS):
        inner: list[str] = []
        for fmt in (f for f in ACCESS_LOG_FORMATS if f.container == container):
            copies = {r.source: r.field for r in fmt.rules if r.pattern is None and r.scale is None}
            if fmt.encoding == "json":
                expressions = {}
                for rule in fmt.rules:
                    target = rule.field if rule.pattern is None and rule.scale is None else rule.source
                    # JMESPath: a key with a dot (Linkerd's client.id) is a quoted identifier.
                    expressions[target] = f'"{rule.source}"' if "." in rule.source else rule.source
                body = ", ".join(f"{_river_string(k)} = {_river_string(v)}" for k, v in expressions.items())
                inner.append(f"    stage.json {{\n      expressions = {{ {body} }}\n    }}")
            else:
                assert fmt.regex is not None
                inner.append(f"    stage.regex {{\n      expression = {_river_string(re2(fmt.regex, copies))}\n    }}")
            for rule in fmt.rules:
                if rule.pattern is not None:
                    inner.append(
                        f"    stage.regex {{\n      source     = {_river_string(rule.source)}\n"
                        f"      expression = {_river_string(re2(rule.pattern, {'value': rule.field}))}\n    }}"
                    )
                if rule.scale is not None:
                    template = f"{{{{ if .{rule.source} }}}}{{{{ mulf .{rule.source} {rule.scale!r} }}}}{{{{ end }}}}"
                    inner.append(
                        f"    stage.template {{\n      source   = {_river_string(rule.field)}\n"
                        f"      template = {_river_string(template)}\n    }}"
                    )
        selector = _river_string(f'{{container="{container}"}}')
        stages.append(f"  stage.match {{\n    selector = {selector}\n" + "\n".join(dict.fromkeys(inner)) + "\n  }")
    return "\n".join(stages)


def alloy_config(platform: PlatformConfig, cluster: ClusterConfig, endpoint: BackendEndpoint) -> pulumi.Output[str]:
    external = ", ".join(f"{k} = {_river_string(v)}" for k, v in static_labels(platform, cluster).items())
    metadata = ", ".join(f'{field} = ""' for field in CANONICAL_FIELDS)

    def render(host: str) -> str:
        url = f"https://{host}:{endpoint.port}{endpoint.path}"
        return f"""// Generated by logmesh (components/collectors.py); mesh stages from components/mesh.py.
discovery.kubernetes "pods" {{
  role = "pod"
  selectors {{
    role  = "pod"
    field = "spec.nodeName=" + sys.env("HOSTNAME")
  }}
}}

discovery.relabel "pods" {{
  targets = discovery.kubernetes.pods.targets
  rule {{
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }}
  rule {{
    source_labels = ["__meta_kubernetes_pod_uid", "__meta_kubernetes_pod_container_name"]
    separator     = "/"
    target_label  = "__path__"
    replacement   = "/var/log/pods/*$1/*.log"
  }}
}}

local.file_match "pods" {{
  path_targets = discovery.relabel.pods.output
}}

loki.source.file "pods" {{
  targets    = local.file_match.pods.targets
  forward_to = [loki.process.pods.receiver]
}}

loki.process "pods" {{
  stage.cri {{}}
{alloy_mesh_stages()}
  stage.structured_metadata {{
    values = {{ {metadata} }}
  }}
  // Only cloud, cluster, environment and namespace stay labels.
  stage.label_drop {{
    values = ["container", "filename"]
  }}
  forward_to = [loki.write.backend.receiver]
}}

loki.write "backend" {{
  endpoint {{
    url       = {_river_string(url)}
    tenant_id = {_river_string(tenant(cluster))}
    basic_auth {{
      username = sys.env({_river_string(USERNAME_ENV)})
      password = sys.env({_river_string(PASSWORD_ENV)})
    }}
    tls_config {{
      ca_file              = {_river_string(CA_FILE)}
      insecure_skip_verify = false
    }}
    retry_on_http_429   = true
    max_backoff_period  = "5m"
    max_backoff_retries = 100
  }}
  wal {{
    enabled         = true
    max_segment_age = "2h"
  }}
  external_labels = {{ {external} }}
}}
"""

    return pulumi.Output.from_input(endpoint.host).apply(lambda host: helm_literal(render(host)))


def alloy_values(platform: PlatformConfig, cluster: ClusterConfig, endpoint: BackendEndpoint) -> dict[str, Any]:
    return {
        "alloy": {
            "configMap": {"create": True, "content": alloy_config(platform, cluster, endpoint)},
            "storagePath": ALLOY_DATA,
            # loki.write's WAL is an experimental Alloy feature.
            "stabilityLevel": "experimental",
            "mounts": {
                "varlog": True,
                "dockercontainers": False,
                "extra": [
                    {"name": "buffer", "mountPath": ALLOY_DATA},
                    {"name": "backend-ca", "mountPath": CA_DIR, "readOnly": True},
                ],
            },
            "extraEnv": _secret_env(),
            "resources": RESOURCES,
            # No anonymous usage statistics to Grafana Labs (the chart passes --disable-reporting).
            "enableReporting": False,
        },
        "controller": {
            "type": "daemonset",
            "podLabels": COLLECTOR_LABELS,
            "volumes": {
                "extra": [
                    {"name": "buffer", "hostPath": {"path": f"{BUFFER_HOST_PATH}/alloy", "type": "DirectoryOrCreate"}},
                    {"name": "backend-ca", "configMap": {"name": CA_CONFIGMAP}},
                ]
            },
        },
        "serviceAccount": {"create": False, "name": SERVICE_ACCOUNT},
        "rbac": {"create": False},
    }


class AlloyCollector(Collector):
    kind = "Alloy"

    def _workload(self, name: str) -> pulumi.Resource:
        args = self.args
        if args.endpoint.kind != "loki":
            raise ValueError(
                f"cluster {args.cluster.name}: Alloy ships only to Loki, but store {args.endpoint.store} runs {args.endpoint.kind}"
            )
        return self._helm_release(name, ALLOY_CHART, alloy_values(args.platform, args.cluster, args.endpoint))


# --- Filebeat (ECK) ------------------------------------------------------------------------------------------------


def filebeat_script() -> str:
    """A Filebeat JavaScript processor applying the mesh rules (components/mesh.py) to `message`."""
    data = json.dumps(rules_as_data(), sort_keys=True)
    return (
        "// Generated from components/mesh.py ACCESS_LOG_FORMATS; do not edit.\n"
        f"var FORMATS = {data};\n"
        "function present(v) { return v !== undefined && v !== null && v !== '' && v !== '-'; }\n"
        "function decode(line, container) {\n"
        "  var trimmed = String(line).replace(/^\\s+|\\s+$/g, '');\n"
        "  var i, fmt, record, m, g;\n"
        "  if (trimmed.charAt(0) === '{') {\n"
        "    try { record = JSON.parse(trimmed); } catch (e) { return null; }\n"
        "    for (i = 0; i < FORMATS.length; i++) {\n"
        "      fmt = FORMATS[i];\n"
        "      if (fmt.encoding !== 'json' || (container && fmt.container !== container)) continue;\n"
        "      if (record[fmt.marker] !== undefined) return [fmt, record];\n"
        "    }\n"
        "    return null;\n"
        "  }\n"
        "  for (i = 0; i < FORMATS.length; i++) {\n"
        "    fmt = FORMATS[i];\n"
        "    if (!fmt.regex || (container && fmt.container !== container)) continue;\n"
        "    m = new RegExp(fmt.regex).exec(trimmed);\n"
        "    if (!m) continue;\n"
        "    record = {};\n"
        "    for (g = 0; g < fmt.groups.length; g++) { if (m[g + 1] !== undefined) record[fmt.groups[g]] = m[g + 1]; }\n"
        "    return [fmt, record];\n"
        "  }\n"
        "  return null;\n"
        "}\n"
        "function canonical(fmt, record) {\n"
        "  var out = {}, i, rule, value, m;\n"
        "  for (i = 0; i < fmt.rules.length; i++) {\n"
        "    rule = fmt.rules[i];\n"
        "    value = record[rule.source];\n"
        "    if (!present(value)) continue;\n"
        "    if (rule.pattern) { m = new RegExp(rule.pattern).exec(String(value)); if (!m) continue; value = m[1]; }\n"
        "    if (rule.scale) value = Number(value) * rule.scale;\n"
        "    out[rule.field] = rule.numeric ? Number(value) : String(value);\n"
        "  }\n"
        "  return out;\n"
        "}\n"
        "function process(event) {\n"
        "  var decoded = decode(event.Get('message'), event.Get('kubernetes.container.name'));\n"
        "  if (!decoded) return;\n"
        "  var fields = canonical(decoded[0], decoded[1]);\n"
        "  for (var key in fields) { if (fields.hasOwnProperty(key)) event.Put(key, fields[key]); }\n"
        "}\n"
    )


def filebeat_config(platform: PlatformConfig, cluster: ClusterConfig, endpoint: BackendEndpoint) -> pulumi.Output[dict[str, Any]]:
    containers = sorted({f.container for f in ACCESS_LOG_FORMATS})

    def render(host: str) -> dict[str, Any]:
        return {
            "filebeat.inputs": [
                {
                    "type": "filestream",
                    "id": "kubernetes-containers",
                    "paths": ["/var/log/containers/*.log"],
                    "prospector.scanner.symlinks": True,
                    "parsers": [{"container": {"stream": "all", "format": "auto"}}],
                    "processors": [
                        {
                            "add_kubernetes_metadata": {
                                "host": "${NODE_NAME}",
                                "matchers": [{"logs_path": {"logs_path": "/var/log/containers/"}}],
                                # Deployment/CronJob lookups need replicasets and jobs: outside the collector's RBAC.
                                "add_resource_metadata": {"deployment": False, "cronjob": False},
                            }
                        }
                    ],
                }
            ],
            "processors": [
                {"add_fields": {"target": "labels", "fields": static_labels(platform, cluster)}},
                {
                    "script": {
                        "lang": "javascript",
                        "tag": "logmesh-mesh-access-logs",
                        "source": filebeat_script(),
                        "when": {"or": [{"equals": {"kubernetes.container.name": c}} for c in containers]},
                    }
                },
            ],
            # Events wait on the node's disk (the Beat's data hostPath) while Elasticsearch is unreachable, up to
            # max_size; Filebeat retries the output without limit.
            "queue.disk": {"max_size": "4GB"},
            "output.elasticsearch": {
                "hosts": [f"https://{host}:{endpoint.port}"],
                "username": f"${{{USERNAME_ENV}}}",
                "password": f"${{{PASSWORD_ENV}}}",
                "index": data_stream(cluster),
                "ssl": {"certificate_authorities": [CA_FILE], "verification_mode": "full"},
            },
            # The data stream gets its template and lifecycle from the backend (logs-*-* index template).
            "setup.template.enabled": False,
            "setup.ilm.enabled": False,
        }

    return pulumi.Output.from_input(endpoint.host).apply(render)


class FilebeatCollector(Collector):
    kind = "Filebeat"

    def _eck_operator(self, name: str) -> k8s.helm.v3.Release:
        """The ECK operator that runs the Beat on a cluster without a backend (on a backend's cluster, the backend's
        operator also manages the `collectors` namespace). Without it the cluster has no Beat CRD at all."""
        namespace = restricted_namespace(f"{name}-eck-operator-namespace", ECK_OPERATOR_NAMESPACE, self._child)
        values = eck_operator_values([COLLECTOR_NAMESPACE])
        opts = pulumi.ResourceOptions(parent=self, provider=self.args.provider, depends_on=[namespace])
        return ECK_OPERATOR_CHART.release(f"{name}-eck-operator", ECK_OPERATOR_NAMESPACE, values, opts)

    def _workload(self, name: str) -> pulumi.Resource:
        args = self.args
        if args.endpoint.kind != "elk":
            raise ValueError(
                f"cluster {args.cluster.name}: Filebeat ships only to Elasticsearch; store {args.endpoint.store} runs {args.endpoint.kind}"
            )
        # ECK runs the Beat: the backend's operator on the backend's cluster, an operator of its own elsewhere.
        operator = args.backend_here if args.backend_here is not None else self._eck_operator(name)
        container = {
            "name": "filebeat",
            "env": [*_secret_env(), {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
            "resources": RESOURCES,
            "securityContext": {"runAsUser": 0},
            "volumeMounts": [
                {"name": "varlogcontainers", "mountPath": "/var/log/containers", "readOnly": True},
                {"name": "varlogpods", "mountPath": "/var/log/pods", "readOnly": True},
                {"name": "backend-ca", "mountPath": CA_DIR, "readOnly": True},
            ],
        }
        return k8s.apiextensions.CustomResource(
            f"{name}-filebeat",
            api_version="beat.k8s.elastic.co/v1beta1",
            kind="Beat",
            metadata=self._meta("logmesh-filebeat"),
            spec={
                "type": "filebeat",
                "version": FILEBEAT_VERSION,
                "config": filebeat_config(args.platform, args.cluster, args.endpoint),
                "daemonSet": {
                    "podTemplate": {
                        "metadata": {"labels": self.labels},
                        "spec": {
                            "serviceAccountName": SERVICE_ACCOUNT,
                            "automountServiceAccountToken": True,
                            "dnsPolicy": "ClusterFirstWithHostNet",
                            "containers": [container],
                            "volumes": [
                                {"name": "varlogcontainers", "hostPath": {"path": "/var/log/containers"}},
                                {"name": "varlogpods", "hostPath": {"path": "/var/log/pods"}},
                                {"name": "backend-ca", "configMap": {"name": CA_CONFIGMAP}},
                            ],
                        },
                    }
                },
            },
            opts=pulumi.ResourceOptions.merge(self._workload_depends(), pulumi.ResourceOptions(depends_on=[operator])),
        )


COLLECTORS: dict[str, type[Collector]] = {"fluent-bit": FluentBitCollector, "alloy": AlloyCollector, "filebeat": FilebeatCollector}


def collector_for(name: str, args: CollectorArgs, opts: pulumi.ResourceOptions | None = None) -> Collector:
    """The collector the cluster's config names."""
    return COLLECTORS[args.cluster.collector](name, args, opts)
