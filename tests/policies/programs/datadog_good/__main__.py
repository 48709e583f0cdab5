"""Logs sent to Datadog the ways teams write it, each sound: the Datadog Agent chart with its API key from an existing
Secret, Fluent Bit's datadog output over verified TLS with the key from env, a ConfigMap of the same, the Datadog
Operator's agent reading its key from a Secret. Every site is approved in CONFIG (tests/policies/kubernetes)."""

import pulumi
import pulumi_kubernetes as k8s

cluster = k8s.Provider("main-cluster", context="main")
a = pulumi.ResourceOptions(provider=cluster)
DATADOG = {"chart": "datadog", "version": "3.150.0", "repository_opts": {"repo": "https://helm.datadoghq.com"}}
FLUENT_BIT = {"chart": "fluent-bit", "version": "0.58.1", "repository_opts": {"repo": "https://fluent.github.io/helm-charts"}}
DATADOG_OUTPUT = """
[OUTPUT]
    Name            datadog
    Match           kube.*
    Host            http-intake.logs.datadoghq.eu
    TLS             On
    tls.verify      On
    compress        gzip
    apikey          ${DD_API_KEY}
    dd_source       kubernetes
"""

k8s.helm.v3.Release(
    "agent-existing-secret",
    namespace="datadog",
    values={
        "datadog": {
            "site": "datadoghq.eu",
            "apiKeyExistingSecret": "datadog-api-key",
            "logs": {"enabled": True, "containerCollectAll": True},
        }
    },
    **DATADOG,
    opts=a,
)
k8s.helm.v3.Release(
    "fluent-bit-datadog",
    namespace="collectors",
    values={
        "env": [{"name": "DD_API_KEY", "valueFrom": {"secretKeyRef": {"name": "datadog-api-key", "key": "api-key"}}}],
        "config": {"outputs": DATADOG_OUTPUT},
    },
    **FLUENT_BIT,
    opts=a,
)
k8s.core.v1.ConfigMap("fluent-bit-datadog-conf", metadata={"namespace": "collectors"}, data={"fluent-bit.conf": DATADOG_OUTPUT}, opts=a)
k8s.apiextensions.CustomResource(
    "operator-agent",
    api_version="datadoghq.com/v2alpha1",
    kind="DatadogAgent",
    metadata={"namespace": "datadog"},
    spec={
        "global": {"site": "datadoghq.eu", "credentials": {"apiSecret": {"secretName": "datadog-api-key", "keyName": "api-key"}}},
        "features": {"logCollection": {"enabled": True, "containerCollectAll": True}},
    },
    opts=a,
)
