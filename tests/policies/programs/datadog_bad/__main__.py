"""Logs sent to Datadog with one flaw each, named for the flaw. CONFIG (tests/policies/kubernetes) approves
datadoghq.eu until next year and ap1.datadoghq.com with an approval that expired."""

import pulumi
import pulumi_kubernetes as k8s

cluster = k8s.Provider("main-cluster", context="main")
a = pulumi.ResourceOptions(provider=cluster)
DATADOG = {"chart": "datadog", "version": "3.150.0", "repository_opts": {"repo": "https://helm.datadoghq.com"}}
FLUENT_BIT = {"chart": "fluent-bit", "version": "0.58.1", "repository_opts": {"repo": "https://fluent.github.io/helm-charts"}}
LOGS = {"enabled": True, "containerCollectAll": True}


def datadog_output(host: str, tls: str = "On", apikey: str = "${DD_API_KEY}") -> str:
    return f"""
[OUTPUT]
    Name        datadog
    Match       *
    Host        {host}
    TLS         {tls}
    apikey      {apikey}
"""


# The chart's quick start: the API key inline in values.
k8s.helm.v3.Release(
    "agent-api-key-in-values",
    namespace="datadog",
    values={"datadog": {"site": "datadoghq.eu", "apiKey": "0123456789abcdef0123456789abcdef", "logs": LOGS}},
    **DATADOG,
    opts=a,
)
# Logs in clear to the intake (logs_config.logs_no_ssl).
k8s.helm.v3.Release(
    "agent-no-ssl",
    namespace="datadog",
    values={
        "datadog": {
            "site": "datadoghq.eu",
            "apiKeyExistingSecret": "datadog-api-key",
            "logs": LOGS,
            "env": [{"name": "DD_LOGS_CONFIG_LOGS_NO_SSL", "value": "true"}],
        }
    },
    **DATADOG,
    opts=a,
)
# A site nobody approved (no site set: the chart's default, US1).
k8s.helm.v3.Release(
    "agent-unapproved-site",
    namespace="datadog",
    values={"datadog": {"apiKeyExistingSecret": "datadog-api-key", "logs": LOGS}},
    **DATADOG,
    opts=a,
)
# Fluent Bit's datadog output with TLS off and the key inline.
k8s.helm.v3.Release(
    "fluent-bit-datadog-plaintext",
    namespace="collectors",
    values={"config": {"outputs": datadog_output("http-intake.logs.datadoghq.eu", tls="Off", apikey="0123456789abcdef")}},
    **FLUENT_BIT,
    opts=a,
)
# An approved vendor, but the approval of this site expired.
k8s.helm.v3.Release(
    "fluent-bit-datadog-expired",
    namespace="collectors",
    values={"config": {"outputs": datadog_output("http-intake.logs.ap1.datadoghq.com")}},
    **FLUENT_BIT,
    opts=a,
)
# A ConfigMap of a hand-run Fluent Bit: the datadog output's default host (US1), not approved.
k8s.core.v1.ConfigMap(
    "configmap-datadog-unapproved",
    metadata={"namespace": "collectors"},
    data={"fluent-bit.conf": "[OUTPUT]\n    Name datadog\n    Match *\n    TLS On\n    apikey ${DD_API_KEY}\n"},
    opts=a,
)
# The Datadog Operator with the key inline.
k8s.apiextensions.CustomResource(
    "operator-api-key-inline",
    api_version="datadoghq.com/v2alpha1",
    kind="DatadogAgent",
    metadata={"namespace": "datadog"},
    spec={"global": {"site": "datadoghq.eu", "credentials": {"apiKey": "0123456789abcdef0123456789abcdef"}}},
    opts=a,
)
