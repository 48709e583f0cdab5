"""Compliant Kubernetes resources for two clusters: upstream Loki, Fluent Bit and Alloy charts, ECK resources,
raw network policies, RBAC, workloads and an ingestion-gap alert."""

import pulumi
import pulumi_kubernetes as k8s

backend_cluster = k8s.Provider("backend-cluster", context="backend")
edge_cluster = k8s.Provider("edge-cluster", context="edge")
a = pulumi.ResourceOptions(provider=backend_cluster)
b = pulumi.ResourceOptions(provider=edge_cluster)
meta = {"namespace": "logging"}
restricted = {f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "warn", "audit")}
# Pod Security baseline forbids the hostPath volumes node log collectors need: privileged with baseline warn and audit.
host_log_readers = {f"pod-security.kubernetes.io/{mode}": "baseline" for mode in ("warn", "audit")}
host_log_readers["pod-security.kubernetes.io/enforce"] = "privileged"
HARDENED = {
    "capabilities": {"drop": ["ALL"]},
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}
REQUESTS = {"requests": {"cpu": "100m", "memory": "128Mi"}}

k8s.core.v1.Namespace("logging", metadata={"name": "logging", "labels": restricted}, opts=a)
k8s.core.v1.Namespace("collectors", metadata={"name": "collectors", "labels": host_log_readers}, opts=a)
k8s.core.v1.Namespace("edge-collectors", metadata={"name": "collectors", "labels": host_log_readers}, opts=b)
k8s.networking.v1.NetworkPolicy(
    "default-deny", metadata={**meta, "name": "default-deny"}, spec={"pod_selector": {}, "policy_types": ["Ingress"]}, opts=a
)
k8s.networking.v1.NetworkPolicy(
    "collectors-to-backend",
    metadata={**meta, "name": "collectors-to-backend"},
    spec={
        "pod_selector": {"match_labels": {"app.kubernetes.io/component": "gateway"}},
        "policy_types": ["Ingress"],
        "ingress": [
            {
                "from": [{"namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": "collectors"}}}],
                "ports": [{"port": 8080, "protocol": "TCP"}],
            }
        ],
    },
    opts=a,
)

k8s.helm.v3.Release(
    "loki",
    chart="loki",
    version="18.11.0",
    namespace="logging",
    repository_opts={"repo": "https://grafana-community.github.io/helm-charts"},
    values={
        "deploymentMode": "Monolithic",
        "loki": {"auth_enabled": True, "storage": {"type": "s3", "s3": {"region": "us-east-1"}}},
        "gateway": {
            "enabled": True,
            "basicAuth": {"enabled": True, "existingSecret": "loki-gateway-htpasswd"},
            "ingress": {
                "enabled": True,
                "hosts": [{"host": "loki.example.com"}],
                "tls": [{"secretName": "loki-tls", "hosts": ["loki.example.com"]}],
            },
        },
        "serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/loki"}},
    },
    opts=a,
)

FLUENT_BIT_OUTPUTS = """
[OUTPUT]
    Name        loki
    Match       kube.*
    Host        loki.example.com
    Port        443
    tls         On
    tls.verify  On
    tls.ca_file /fluent-bit/ca/ca.crt
    HTTP_User   ${LOKI_USERNAME}
    HTTP_Passwd ${LOKI_PASSWORD}
    tenant_id   backend-cluster
"""
k8s.helm.v3.Release(
    "fluent-bit",
    chart="fluent-bit",
    version="0.58.1",
    namespace="collectors",
    repository_opts={"repo": "https://fluent.github.io/helm-charts"},
    values={
        "config": {"outputs": FLUENT_BIT_OUTPUTS},
        "env": [{"name": "LOKI_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "loki-credentials", "key": "password"}}}],
        "podSecurityContext": {"runAsNonRoot": True},
        "securityContext": {**HARDENED, "runAsUser": 10001},
        "resources": REQUESTS,
    },
    opts=a,
)

ALLOY_CONFIG = """
loki.write "central" {
  endpoint {
    url = "https://loki.example.com/loki/api/v1/push"
    tenant_id = "edge-cluster"
    basic_auth {
      username = "edge"
      password = sys.env("LOKI_PASSWORD")
    }
    tls_config {
      ca_file = "/etc/alloy/ca/ca.crt"
    }
  }
}
"""
k8s.helm.v3.Release(
    "alloy",
    chart="alloy",
    version="1.11.1",
    namespace="collectors",
    repository_opts={"repo": "https://grafana.github.io/helm-charts"},
    values={
        "alloy": {
            "configMap": {"content": ALLOY_CONFIG},
            "securityContext": {**HARDENED, "runAsUser": 473, "runAsNonRoot": True},
            "resources": REQUESTS,
        },
    },
    opts=b,
)

k8s.rbac.v1.ClusterRole(
    "fluent-bit-read",
    metadata={"name": "fluent-bit-read", "labels": {"app": "fluent-bit"}},
    rules=[{"api_groups": [""], "resources": ["pods", "namespaces"], "verbs": ["get", "list", "watch"]}],
    opts=a,
)
k8s.rbac.v1.ClusterRoleBinding(
    "fluent-bit-read",
    metadata={"name": "fluent-bit-read"},
    role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "fluent-bit-read"},
    subjects=[{"kind": "ServiceAccount", "name": "fluent-bit", "namespace": "collectors"}],
    opts=a,
)

# An operator manages Secrets (ECK writes the Elasticsearch users' and certificates' Secrets): sound, since it is
# not a collector and grants no wildcard, escalate, bind or impersonate.
k8s.rbac.v1.ClusterRole(
    "elastic-operator",
    metadata={"name": "elastic-operator", "labels": {"app.kubernetes.io/name": "elastic-operator"}},
    rules=[
        {
            "api_groups": [""],
            "resources": ["pods", "services", "configmaps", "secrets"],
            "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"],
        },
        {"api_groups": ["apps"], "resources": ["statefulsets"], "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]},
    ],
    opts=a,
)
k8s.rbac.v1.ClusterRoleBinding(
    "elastic-operator",
    metadata={"name": "elastic-operator"},
    role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "elastic-operator"},
    subjects=[{"kind": "ServiceAccount", "name": "elastic-operator", "namespace": "elastic-system"}],
    opts=a,
)

k8s.apiextensions.CustomResource(
    "elasticsearch",
    api_version="elasticsearch.k8s.elastic.co/v1",
    kind="Elasticsearch",
    metadata={**meta, "name": "logs"},
    spec={"version": "8.19.0", "nodeSets": [{"name": "default", "count": 3, "config": {"node.store.allow_mmap": False}}]},
    opts=a,
)
k8s.apiextensions.CustomResource(
    "kibana",
    api_version="kibana.k8s.elastic.co/v1",
    kind="Kibana",
    metadata={**meta, "name": "logs"},
    spec={"version": "8.19.0", "count": 1, "elasticsearchRef": {"name": "logs"}},
    opts=a,
)
k8s.apiextensions.CustomResource(
    "filebeat",
    api_version="beat.k8s.elastic.co/v1beta1",
    kind="Beat",
    metadata={"namespace": "collectors", "name": "filebeat"},
    spec={
        "type": "filebeat",
        "version": "8.19.0",
        "elasticsearchRef": {"name": "logs", "namespace": "logging"},
        "daemonSet": {
            "podTemplate": {
                "spec": {
                    "securityContext": {"runAsUser": 1000, "runAsNonRoot": True},
                    "containers": [{"name": "filebeat", "securityContext": HARDENED, "resources": REQUESTS}],
                }
            }
        },
    },
    opts=b,
)

k8s.core.v1.Secret(
    "loki-credentials",
    metadata={"namespace": "collectors", "name": "loki-credentials"},
    string_data={"password": pulumi.Output.secret("generated-elsewhere")},
    opts=a,
)
k8s.core.v1.ConfigMap(
    "fluent-bit-extra",
    metadata={"namespace": "collectors"},
    data={
        "outputs.conf": FLUENT_BIT_OUTPUTS,
        "settings.yaml": "log_level: info\npassword_file: /secrets/password\n",
        "fluent-bit.yaml": "pipeline:\n  outputs:\n    - name: loki\n      host: loki.example.com\n      tls: on\n"
        "      tls.verify: on\n      http_passwd: ${LOKI_PASSWORD}\n",
    },
    opts=a,
)
k8s.networking.v1.Ingress(
    "kibana",
    metadata={**meta, "name": "kibana"},
    spec={
        "tls": [{"hosts": ["kibana.example.com"], "secret_name": "kibana-tls"}],
        "rules": [
            {
                "host": "kibana.example.com",
                "http": {
                    "paths": [
                        {"path": "/", "path_type": "Prefix", "backend": {"service": {"name": "logs-kb-http", "port": {"number": 5601}}}}
                    ]
                },
            }
        ],
    },
    opts=a,
)
k8s.apps.v1.Deployment(
    "api",
    metadata={"namespace": "apps"},
    spec={
        "selector": {"match_labels": {"app": "api"}},
        "template": {
            "metadata": {"labels": {"app": "api"}},
            "spec": {
                "containers": [
                    {
                        "name": "api",
                        "image": "api:1",
                        "env": [
                            {"name": "LOG_LEVEL", "value": "info"},
                            {"name": "DB_PASSWORD", "value_from": {"secret_key_ref": {"name": "db", "key": "password"}}},
                        ],
                    }
                ]
            },
        },
    },
    opts=b,
)

k8s.apiextensions.CustomResource(
    "ingestion-gap",
    api_version="monitoring.coreos.com/v1",
    kind="PrometheusRule",
    metadata={**meta, "name": "ingestion-gap"},
    spec={
        "groups": [
            {
                "name": "logmesh",
                "rules": [
                    {
                        "alert": "LogIngestionGap",
                        "for": "15m",
                        "expr": 'absent_over_time(loki_distributor_lines_received_total{tenant="edge-cluster"}[10m])',
                    }
                ],
            }
        ]
    },
    opts=a,
)

# Jaeger v2 whose every receiver serves TLS and requires a client certificate signed by the tracing CA.
JAEGER_TLS = {"cert_file": "/etc/jaeger/tls/tls.crt", "key_file": "/etc/jaeger/tls/tls.key", "client_ca_file": "/etc/jaeger/tls/ca.crt"}
k8s.helm.v3.Release(
    "jaeger",
    chart="jaeger",
    version="4.11.1",
    namespace="logging",
    repository_opts={"repo": "https://jaegertracing.github.io/helm-charts"},
    values={
        "userconfig": {
            "receivers": {
                "otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317", "tls": JAEGER_TLS}, "http": {"tls": JAEGER_TLS}}},
                "zipkin": {"endpoint": "0.0.0.0:9411", "tls": JAEGER_TLS},
                "kafka": {"brokers": ["kafka:9092"]},
            }
        }
    },
    opts=a,
)
