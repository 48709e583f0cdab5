from __future__ import annotations

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity

from policies.framework import Check, Report, resource_policy
from policies.lib.collector_config import DATADOG_CHART_ENV, collector_config_tls_problems, datadog_env_tls_problems
from policies.lib.kubernetes import COLLECTOR_CHARTS, as_resource, chart_of, string_leaves, values_of
from policies.lib.types import BEAT, CONFIG_MAP, HELM_TYPES, INGRESS, LOGSTASH, WORKLOAD_TYPES
from policies.lib.values import as_list, get, truthy


def _tls_problems(resource: PolicyResource) -> list[str]:
    chart, props, t = chart_of(resource), resource.props, resource.resource_type
    problems: list[str] = []
    if chart in COLLECTOR_CHARTS:
        for _path, text in string_leaves(values_of(resource)):
            problems += collector_config_tls_problems(text)
    elif chart == "datadog":
        for path in DATADOG_CHART_ENV:
            problems += datadog_env_tls_problems(get(values_of(resource), *path))
    elif t in WORKLOAD_TYPES:
        # A rendered or hand-written Datadog Agent: its containers' own environment.
        spec = get(props, *WORKLOAD_TYPES[t])
        for container in as_list(get(spec, "containers")):
            problems += datadog_env_tls_problems(get(container, "env"))
    elif chart == "loki":
        ingress = get(values_of(resource), "gateway", "ingress")
        if truthy(get(ingress, "enabled")) and not as_list(get(ingress, "tls")):
            problems.append("the Loki gateway ingress has no tls section")
    elif t == CONFIG_MAP:
        for key, text in (get(props, "data") or {}).items():
            if isinstance(text, str):
                problems += [f"{key}: {p}" for p in collector_config_tls_problems(text)]
    elif t == BEAT:
        if get(props, "spec", "elasticsearchRef") is None:
            output = get(props, "spec", "config", "output", "elasticsearch") or {}
            hosts = [str(h) for h in as_list(get(output, "hosts"))]
            problems += [f"Beat output host {h} is not https" for h in hosts if not h.startswith("https://")]
            if str(get(output, "ssl", "verification_mode") or get(output, "ssl.verification_mode") or "") == "none":
                problems.append("Beat output turns off certificate verification")
    elif t == LOGSTASH:
        # ECK's Logstash (an aggregation tier): its pipelines' text.
        for pipeline in as_list(get(props, "spec", "pipelines")):
            problems += collector_config_tls_problems(str(get(pipeline, "config.string") or ""))
    elif t == INGRESS:
        served = {str(get(rule, "host")) for rule in as_list(get(props, "spec", "rules")) if get(rule, "host")}
        covered = {str(h) for tls in as_list(get(props, "spec", "tls")) for h in as_list(get(tls, "hosts"))}
        if not as_list(get(props, "spec", "tls")):
            problems.append("the Ingress has no tls section")
        elif served - covered:
            problems.append(f"the Ingress serves {', '.join(sorted(served - covered))} without TLS")
    return problems


@resource_policy(
    name="collector-backend-tls",
    description="Collectors ship to backends and third-party intakes over TLS with certificate verification (Fluent Bit "
    "outputs including datadog, Alloy loki.write endpoints, Beat outputs, Logstash pipelines, the Datadog Agent), and Ingresses to log "
    "backends terminate TLS for every host.",
    criteria=("CC6.1", "CC6.6", "CC6.7"),
    anchors="Kubescape C-0263",
    severity=Severity.HIGH,
    remediation="Fluent Bit: 'tls On', 'tls.verify On', 'tls.ca_file <backend CA>'; Alloy: https:// URLs with tls_config "
    "{ ca_file }; Datadog Agent: no DD_LOGS_CONFIG_LOGS_NO_SSL or DD_SKIP_SSL_VALIDATION; Ingress: spec.tls covering every host.",
    domain="kubernetes",
    types=(*HELM_TYPES, CONFIG_MAP, BEAT, LOGSTASH, INGRESS, *WORKLOAD_TYPES),
)
def collector_backend_tls(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    resource = as_resource(args)
    for problem in _tls_problems(resource):
        report(problem)
