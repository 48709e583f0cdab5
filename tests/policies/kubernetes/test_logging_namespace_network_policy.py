"""logging-namespace-network-policy joins namespaces only on known names."""

from __future__ import annotations

from collections.abc import Callable

from preflight.analyze.findings import Analysis
from tests.policies.conftest import UNKNOWN_IN_PREVIEW, flagged


def test_namespaces_unknown_in_preview_are_not_joined_as_one(analyze: Callable[..., Analysis]) -> None:
    """The full run finds the backend namespace without NetworkPolicies; a preview, where both namespace names are
    unknown, must not take them for the same namespace (a silent pass): it says the join can't be known."""
    policy = "logging-namespace-network-policy"
    assert flagged(analyze("k8s_preview_join"), policy) == {"loki-in-logging"}
    preview = [v for v in analyze("k8s_preview_join", preview=True).violations if v.policy == policy]
    assert preview and all(v.enforcement == "advisory" and UNKNOWN_IN_PREVIEW in v.message for v in preview), preview
