from __future__ import annotations

from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from policies.framework import Check, Report, resource_policy
from policies.lib.kubernetes import as_resource, chart_of, values_of
from policies.lib.types import ES, HELM_TYPES, KIBANA
from policies.lib.values import as_list, dotted_items, falsy, get, truthy


def _elastic_problems(kind: str, spec: Any) -> list[str]:
    problems = []
    if truthy(get(spec, "http", "tls", "selfSignedCertificate", "disabled")) and not get(spec, "http", "tls", "certificate", "secretName"):
        problems.append(f"{kind} HTTP TLS is disabled (http.tls.selfSignedCertificate.disabled without a certificate)")
    configs = [get(n, "config") for n in as_list(get(spec, "nodeSets"))] if kind == "Elasticsearch" else [get(spec, "config")]
    for config in configs:
        for setting in ("xpack.security.enabled", "xpack.security.http.ssl.enabled"):
            # However the YAML spells it; any spelling set false counts.
            if any(falsy(value) for path, value in dotted_items(config) if path == setting):
                problems.append(f"{kind} config sets {setting}: false")
    return problems


@resource_policy(
    name="elastic-security-and-tls",
    description="Elasticsearch and Kibana (ECK resources or the eck-elasticsearch/eck-kibana/eck-stack charts) keep "
    "security and HTTP TLS on (ECK's defaults).",
    criteria=("CC6.1", "CC6.7"),
    anchors="AWS Config OPENSEARCH_HTTPS_REQUIRED (managed only)",
    severity=Severity.HIGH,
    remediation="Remove http.tls.selfSignedCertificate.disabled (or provide http.tls.certificate.secretName) and "
    "any xpack.security.enabled: false.",
    domain="kubernetes",
    types=(*HELM_TYPES, ES, KIBANA),
)
def elastic_security_and_tls(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    resource = as_resource(args)
    chart = chart_of(resource)
    problems: list[str] = []
    if args.resource_type == ES:
        problems = _elastic_problems("Elasticsearch", get(args.props, "spec"))
    elif args.resource_type == KIBANA:
        problems = _elastic_problems("Kibana", get(args.props, "spec"))
    elif chart in ("eck-elasticsearch", "eck-kibana"):
        problems = _elastic_problems("Elasticsearch" if chart == "eck-elasticsearch" else "Kibana", values_of(resource))
    elif chart == "eck-stack":
        values = values_of(resource)
        problems = _elastic_problems("Elasticsearch", get(values, "eck-elasticsearch"))
        problems += _elastic_problems("Kibana", get(values, "eck-kibana"))
    for problem in problems:
        report(problem)
