"""Kubernetes resources with one flaw each, named for the flaw. No ingestion-gap alert exists, and the cluster
`cluster-without-collector` runs no collector."""

import pulumi
import pulumi_kubernetes as k8s

cluster = k8s.Provider("main-cluster", context="main")
bare_cluster = k8s.Provider("cluster-without-collector", context="bare")
a = pulumi.ResourceOptions(provider=cluster)
LOKI = {"chart": "loki", "version": "18.11.0", "repository_opts": {"repo": "https://grafana-community.github.io/helm-charts"}}
FLUENT_BIT = {"chart": "fluent-bit", "version": "0.58.1", "repository_opts": {"repo": "https://fluent.github.io/helm-charts"}}

k8s.core.v1.ConfigMap("unrelated", metadata={"namespace": "default"}, data={"a": "b"}, opts=pulumi.ResourceOptions(provider=bare_cluster))

# Namespace `logging` has no NetworkPolicy at all; `logs-allow-only` has an allow policy but no default deny.
gateway_auth = {"enabled": True, "basicAuth": {"enabled": True, "existingSecret": "htpasswd"}}
k8s.helm.v3.Release(
    "loki-auth-disabled", namespace="logging", values={"loki": {"auth_enabled": False}, "gateway": gateway_auth}, **LOKI, opts=a
)
k8s.helm.v3.Release("loki-gateway-without-auth", namespace="logs-allow-only", values={"gateway": {"enabled": True}}, **LOKI, opts=a)
k8s.helm.v3.Release(
    "loki-ingress-without-tls",
    chart="oci://ghcr.io/grafana-community/helm-charts/loki",
    namespace="logs-allow-only",
    values={"gateway": {**gateway_auth, "ingress": {"enabled": True, "hosts": [{"host": "loki.example.com"}]}}},
    opts=a,
)
k8s.networking.v1.NetworkPolicy(
    "allow-only",
    metadata={"namespace": "logs-allow-only"},
    spec={
        "pod_selector": {},
        "policy_types": ["Ingress"],
        "ingress": [{"from": [{"namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": "collectors"}}}]}],
    },
    opts=a,
)

k8s.helm.v3.Release(
    "fluent-bit-plaintext",
    namespace="collectors",
    values={
        "config": {
            "outputs": """
[OUTPUT]
    Name        es
    Match       *
    Host        elasticsearch.logging.svc
    Port        9200
    HTTP_User   elastic
    HTTP_Passwd hunter2-literal
"""
        }
    },
    **FLUENT_BIT,
    opts=a,
)
k8s.helm.v3.Release(
    "fluent-bit-no-verify",
    namespace="collectors",
    values={
        "config": {"outputs": "[OUTPUT]\n    Name loki\n    Host loki.example.com\n    tls On\n    tls.verify Off\n"},
        "securityContext": {"runAsUser": 10001},
    },
    **FLUENT_BIT,
    opts=a,
)
k8s.core.v1.ConfigMap(
    "fluent-bit-yaml-without-tls",
    metadata={"namespace": "collectors"},
    data={
        "fluent-bit.yaml": """
pipeline:
  inputs:
    - name: tail
      path: /var/log/containers/*.log
  outputs:
    - name: loki
      match: '*'
      host: loki.example.com
      port: 3100
"""
    },
    opts=a,
)
k8s.helm.v3.Release(
    "alloy-plain-http",
    chart="alloy",
    namespace="collectors",
    values={
        "alloy": {
            "configMap": {
                "content": """
loki.write "central" {
  endpoint {
    url = "http://loki.logging.svc:3100/loki/api/v1/push"
    basic_auth {
      username = "main"
      password = "hunter2-literal"
    }
  }
}
"""
            },
            "securityContext": {"runAsUser": 473},
        }
    },
    opts=a,
)
k8s.apiextensions.CustomResource(
    "filebeat-insecure",
    api_version="beat.k8s.elastic.co/v1beta1",
    kind="Beat",
    metadata={"namespace": "collectors", "name": "filebeat"},
    spec={
        "type": "filebeat",
        "version": "8.19.0",
        "config": {
            "output": {
                "elasticsearch": {"hosts": ["http://logs-es-http.logging.svc:9200"], "username": "elastic", "password": "hunter2-literal"}
            }
        },
        "daemonSet": {"podTemplate": {"spec": {"securityContext": {"runAsUser": 0}, "containers": [{"name": "filebeat"}]}}},
    },
    opts=a,
)
k8s.networking.v1.Ingress(
    "ingress-without-tls", metadata={"namespace": "logging"}, spec={"rules": [{"host": "kibana.example.com"}]}, opts=a
)
k8s.networking.v1.Ingress(
    "ingress-partial-tls",
    metadata={"namespace": "logging"},
    spec={"tls": [{"hosts": ["a.example.com"]}], "rules": [{"host": "a.example.com"}, {"host": "b.example.com"}]},
    opts=a,
)

k8s.apiextensions.CustomResource(
    "es-http-tls-disabled",
    api_version="elasticsearch.k8s.elastic.co/v1",
    kind="Elasticsearch",
    metadata={"namespace": "logging", "name": "plain"},
    spec={
        "version": "8.19.0",
        "http": {"tls": {"selfSignedCertificate": {"disabled": True}}},
        "nodeSets": [{"name": "default", "count": 1}],
    },
    opts=a,
)
k8s.apiextensions.CustomResource(
    "es-security-disabled",
    api_version="elasticsearch.k8s.elastic.co/v1",
    kind="Elasticsearch",
    metadata={"namespace": "logging", "name": "open"},
    spec={"version": "8.19.0", "nodeSets": [{"name": "default", "count": 1, "config": {"xpack.security.enabled": False}}]},
    opts=a,
)
k8s.apiextensions.CustomResource(
    "kibana-http-tls-disabled",
    api_version="kibana.k8s.elastic.co/v1",
    kind="Kibana",
    metadata={"namespace": "logging", "name": "plain"},
    spec={"version": "8.19.0", "http": {"tls": {"selfSignedCertificate": {"disabled": True}}}},
    opts=a,
)
k8s.helm.v3.Release(
    "eck-stack-http-tls-disabled",
    chart="eck-stack",
    namespace="logging",
    repository_opts={"repo": "https://helm.elastic.co"},
    values={"eck-elasticsearch": {"http": {"tls": {"selfSignedCertificate": {"disabled": True}}}}},
    opts=a,
)

k8s.rbac.v1.ClusterRole(
    "collector-wildcard",
    metadata={"labels": {"app.kubernetes.io/name": "fluent-bit"}},
    rules=[{"api_groups": [""], "resources": ["*"], "verbs": ["get", "list", "watch"]}],
    opts=a,
)
k8s.rbac.v1.Role(
    "reads-secrets", metadata={"namespace": "collectors"}, rules=[{"api_groups": [""], "resources": ["secrets"], "verbs": ["get"]}], opts=a
)
k8s.rbac.v1.ClusterRole("fluent-bit-writes", rules=[{"api_groups": [""], "resources": ["pods"], "verbs": ["get", "patch"]}], opts=a)
k8s.rbac.v1.ClusterRoleBinding(
    "binds-cluster-admin",
    role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
    subjects=[{"kind": "ServiceAccount", "name": "fluent-bit", "namespace": "collectors"}],
    opts=a,
)

# An operator's RBAC is not a collector's: it may manage Secrets, but never escalate, bind or impersonate, use
# wildcards, or be bound to a built-in admin role (rbac-least-privilege).
k8s.rbac.v1.ClusterRole(
    "operator-escalates",
    metadata={"name": "example-operator", "labels": {"app.kubernetes.io/name": "example-operator"}},
    rules=[{"api_groups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["get", "escalate", "bind"]}],
    opts=a,
)
k8s.rbac.v1.ClusterRole(
    "operator-impersonates",
    metadata={"name": "example-operator-users"},
    rules=[{"api_groups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]}],
    opts=a,
)
k8s.rbac.v1.ClusterRoleBinding(
    "operator-binds-admin",
    metadata={"name": "example-operator"},
    role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"},
    subjects=[{"kind": "ServiceAccount", "name": "example-operator", "namespace": "operators"}],
    opts=a,
)

k8s.core.v1.ConfigMap(
    "configmap-password", metadata={"namespace": "collectors"}, data={"app.yaml": "user: elastic\npassword: hunter2\n"}, opts=a
)
# A Pulumi secret is still plain text once it is written into a ConfigMap.
k8s.core.v1.ConfigMap(
    "configmap-secret-output", metadata={"namespace": "collectors"}, data={"app.yaml": pulumi.Output.secret("password: hunter2\n")}, opts=a
)
k8s.core.v1.ConfigMap("configmap-aws-key", metadata={"namespace": "collectors"}, data={"creds": "key=AKIAABCDEFGHIJKLMNOP"}, opts=a)
k8s.apps.v1.Deployment(
    "literal-env-secret",
    metadata={"namespace": "apps"},
    spec={
        "selector": {"match_labels": {"app": "x"}},
        "template": {
            "metadata": {"labels": {"app": "x"}},
            "spec": {"containers": [{"name": "x", "image": "x:1", "env": [{"name": "DB_PASSWORD", "value": "hunter2"}]}]},
        },
    },
    opts=a,
)
# A credential-named literal that is not the name of a Secret the pod mounts or references is still a credential:
# the pod mounts the Secret "webhook-cert", the literal is something else.
k8s.apps.v1.Deployment(
    "literal-beside-secret-mount",
    metadata={"namespace": "apps"},
    spec={
        "selector": {"match_labels": {"app": "z"}},
        "template": {
            "metadata": {"labels": {"app": "z"}},
            "spec": {
                "containers": [{"name": "z", "image": "z:1", "env": [{"name": "WEBHOOK_SECRET", "value": "webhook-cert-2"}]}],
                "volumes": [{"name": "cert", "secret": {"secret_name": "webhook-cert"}}],
            },
        },
    },
    opts=a,
)
k8s.apps.v1.Deployment(
    "configmap-env-secret",
    metadata={"namespace": "apps"},
    spec={
        "selector": {"match_labels": {"app": "y"}},
        "template": {
            "metadata": {"labels": {"app": "y"}},
            "spec": {
                "containers": [
                    {
                        "name": "y",
                        "image": "y:1",
                        "env": [{"name": "API_TOKEN", "value_from": {"config_map_key_ref": {"name": "settings", "key": "token"}}}],
                    }
                ]
            },
        },
    },
    opts=a,
)
k8s.apps.v1.DaemonSet(
    "privileged-collector",
    metadata={"namespace": "collectors"},
    spec={
        "selector": {"match_labels": {"app": "vector"}},
        "template": {
            "metadata": {"labels": {"app": "vector"}},
            "spec": {"containers": [{"name": "vector", "image": "timberio/vector:0.50.0", "security_context": {"privileged": True}}]},
        },
    },
    opts=a,
)

# Jaeger v2 flawed copies (named after `loki-*` so the namespace checks still report the Loki releases here).
JAEGER = {"chart": "jaeger", "version": "4.11.1", "repository_opts": {"repo": "https://jaegertracing.github.io/helm-charts"}}
SERVER_TLS = {"cert_file": "/etc/jaeger/tls/tls.crt", "key_file": "/etc/jaeger/tls/tls.key"}
k8s.helm.v3.Release("spans-default-config", namespace="logging", values={}, **JAEGER, opts=a)
k8s.helm.v3.Release(
    "spans-in-plaintext",
    namespace="logging",
    values={"userconfig": {"receivers": {"otlp": {"protocols": {"grpc": None, "http": {"endpoint": "0.0.0.0:4318"}}}}}},
    **JAEGER,
    opts=a,
)
k8s.helm.v3.Release(
    "spans-unauthenticated",
    namespace="logging",
    values={"userconfig": {"receivers": {"zipkin": {"endpoint": "0.0.0.0:9411", "tls": SERVER_TLS}}}},
    **JAEGER,
    opts=a,
)
