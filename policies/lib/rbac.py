"""Kubernetes RBAC: whose a role or binding is (a collector's or not), and the checks every RBAC object shares.

collector-rbac-read-only judges collectors' RBAC, rbac-least-privilege everything else's (an operator's, a Job's):
each RBAC object is judged by exactly one of them (docs/policy-pack.md, "Kubernetes RBAC").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import PolicyResource

from policies.lib.kubernetes import COLLECTOR_WORDS, name_of
from policies.lib.types import BINDING_TYPES
from policies.lib.values import as_list, get, known, plain

COLLECTOR_NAMESPACE = "collectors"  # components/names.py COLLECTOR_NAMESPACE; the pack does not import components
ADMIN_ROLES = {"cluster-admin", "admin", "edit"}


def _collector_words(text: str) -> bool:
    return any(word in text.lower() for word in COLLECTOR_WORDS)


def is_collector_rbac(resource: PolicyResource) -> bool:
    """A collector's role or binding: its name or labels name a collector, it lives in the collectors' namespace,
    or (a binding) it binds a subject that is a collector's."""
    labels = plain(known(resource.props, "metadata", "labels")) or {}
    if _collector_words(" ".join([name_of(resource), resource.name, *[str(v) for v in labels.values()]])):
        return True
    if known(resource.props, "metadata", "namespace") == COLLECTOR_NAMESPACE:
        return True
    if resource.resource_type in BINDING_TYPES:
        for subject in as_list(get(resource.props, "subjects")):
            if get(subject, "namespace") == COLLECTOR_NAMESPACE or _collector_words(str(get(subject, "name") or "")):
                return True
    return False


def rules(props: Any) -> Iterator[tuple[int, list[str], list[str], list[str]]]:
    """(index, verbs, resources, apiGroups) of every rule of a Role or ClusterRole."""
    for index, rule in enumerate(as_list(get(props, "rules"))):
        yield (
            index,
            [str(v) for v in as_list(get(rule, "verbs"))],
            [str(v) for v in as_list(get(rule, "resources"))],
            [str(v) for v in as_list(get(rule, "apiGroups"))],
        )


def baseline_problems(resource_type: str, props: Any) -> list[str]:
    """What no RBAC object may do, a collector's or not: bind a built-in admin role, or use a wildcard in a rule."""
    if resource_type in BINDING_TYPES:
        role = get(props, "roleRef", "name")
        return [f"binds the built-in {role} role"] if role in ADMIN_ROLES else []
    return [
        f"rule {index} uses a wildcard (verbs {verbs}, resources {resources}, apiGroups {groups})"
        for index, verbs, resources, groups in rules(props)
        if "*" in verbs or "*" in resources or "*" in groups
    ]
