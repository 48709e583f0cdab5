"""Flaws written the ways other teams write them (programs/edge_bad): each is found by the policy that owns it,
and only there."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from preflight.analyze.findings import Analysis
from tests.policies.conftest import flagged

EXPECTED: dict[str, set[str]] = {
    "aws-kms-key-policy-not-public": {"key-not-principal", "key-wildcard-condition"},
    "backend-iam-least-privilege": {"role-admin-managed-arn", "policy-star-in-list"},
    "collector-backend-tls": {"fluent-bit-tabs-no-verify"},
    "loki-auth-enabled": {"loki-structured-auth-disabled"},
    "elastic-security-and-tls": {"es-security-half-dotted"},
    "collector-runs-as-non-root": {"fluent-bit-templated-user"},
    "collector-rbac-read-only": {"every-verb-on-pods"},
    "rbac-least-privilege": {"reads-every-resource"},
}


@pytest.mark.parametrize("policy", sorted(EXPECTED))
def test_flaw_is_flagged(policy: str, analyze: Callable[..., Analysis]) -> None:
    assert flagged(analyze("edge_bad"), policy) == EXPECTED[policy]


def test_messages_name_the_setting(analyze: Callable[..., Analysis]) -> None:
    messages = {(v.policy, v.message) for v in analyze("edge_bad").violations}
    assert ("collector-backend-tls", "output loki (loki.example.com) turns off certificate verification (tls.verify Off)") in messages
    assert (
        "loki-auth-enabled",
        "loki.structuredConfig.auth_enabled is false: every client writes and reads the single 'fake' tenant",
    ) in messages
    assert ("elastic-security-and-tls", "Elasticsearch config sets xpack.security.enabled: false") in messages


def test_preview_still_finds_them(analyze: Callable[..., Analysis]) -> None:
    preview = analyze("edge_bad", preview=True)
    for policy, names in EXPECTED.items():
        assert flagged(preview, policy) == names
