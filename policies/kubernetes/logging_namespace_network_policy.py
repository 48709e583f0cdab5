from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource, Severity, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from policies.framework import Check, Deferred, Report, stack_policy
from policies.lib.kubernetes import backend_namespaces, namespace_of
from policies.lib.types import HELM_TYPES, NETWORK_POLICY
from policies.lib.values import as_list, get, known, provider_key


def _namespace_or_unknown(resource: PolicyResource) -> None:
    """Raises the analyzer's UnknownValueError when the resource's namespace is unknown (a preview)."""
    get(resource.props, *(("namespace",) if resource.resource_type in HELM_TYPES else ("metadata", "namespace")))


def _empty_selector(selector: Any) -> bool:
    return not known(selector, "matchLabels") and not known(selector, "matchExpressions")


@stack_policy(
    name="logging-namespace-network-policy",
    description="Every namespace that runs a log backend (Loki, Elasticsearch, Kibana) has a default-deny ingress "
    "NetworkPolicy and a policy that admits collectors by namespace or pod selector.",
    criteria=("CC6.1", "CC6.6", "CC7.2"),
    anchors="Kubescape C-0260; Kyverno require-netpol",
    severity=Severity.HIGH,
    remediation="Add a NetworkPolicy with podSelector {} and policyTypes [Ingress] (no rules) in the backend namespace, and "
    "one allowing ingress from the collectors' namespace (namespaceSelector) to the backend's push port.",
    domain="kubernetes",
)
def logging_namespace_network_policy(args: StackValidationArgs, report: Report, check: Check) -> None:
    resources = list(args.resources)
    policies: dict[tuple[str, str], list[PolicyResource]] = {}
    # A namespace unknown in a preview is no namespace yet: joining it as "default" would pass or fail by chance.
    unknown_namespaces: dict[str, UnknownValueError] = {}
    for r in resources:
        if r.resource_type == NETWORK_POLICY:
            try:
                _namespace_or_unknown(r)
            except UnknownValueError as error:
                unknown_namespaces.setdefault(provider_key(r), error)
                continue
            policies.setdefault((provider_key(r), namespace_of(r)), []).append(r)
    deferred = Deferred()
    for (cluster, namespace), backend in backend_namespaces(resources).items():
        with deferred.each():
            _namespace_or_unknown(backend)
            present = policies.get((cluster, namespace), [])
            deny = any(
                _empty_selector(get(p.props, "spec", "podSelector"))
                and "Ingress" in [str(t) for t in as_list(get(p.props, "spec", "policyTypes"))]
                and not as_list(get(p.props, "spec", "ingress"))
                for p in present
            )
            admits = any(
                any(
                    known(peer, "namespaceSelector") is not None or known(peer, "podSelector") is not None
                    for rule in as_list(get(p.props, "spec", "ingress"))
                    for peer in as_list(get(rule, "from"))
                )
                for p in present
            )
            if not (deny and admits) and cluster in unknown_namespaces:
                raise unknown_namespaces[cluster]
            if not deny:
                report(f"namespace {namespace} (backend {backend.name}) has no default-deny ingress NetworkPolicy", backend.urn)
            if not admits:
                report(f"namespace {namespace} (backend {backend.name}) has no NetworkPolicy admitting collectors by selector", backend.urn)
    deferred.finish()
