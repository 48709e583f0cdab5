"""external-log-destination-approved, and the collector rules extended to third-party intakes: the Datadog Agent
chart, Fluent Bit's datadog output (Helm values and ConfigMaps) and the Datadog Operator, each written as teams do."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest

from preflight.analyze.config import resolve_config
from preflight.analyze.findings import Analysis
from preflight.analyze.pack import PolicyPackSpec
from preflight.errors import InputError
from tests.policies.conftest import flagged

POLICY = "external-log-destination-approved"
TODAY = datetime.datetime.now(datetime.UTC).date()


def approval(site: str, days: int) -> dict[str, Any]:
    expires = (TODAY + datetime.timedelta(days=days)).isoformat()
    return {"vendor": "datadog", "site": site, "approved_by": "ciso@example.com", "expires": expires, "reason": "DPA 2026-114"}


# datadoghq.eu approved for half a year; ap1 approved once, expired a month ago.
CONFIG: dict[str, Any] = {POLICY: {"approved_destinations": [approval("datadoghq.eu", 180), approval("ap1.datadoghq.com", -30)]}}


def test_approved_destinations_pass(analyze: Callable[..., Analysis]) -> None:
    analysis = analyze("datadog_good", CONFIG)
    policies = (POLICY, "no-plaintext-credentials", "collector-backend-tls")
    assert [(v.policy, v.urn, v.message) for v in analysis.violations if v.policy in policies] == []


def test_unapproved_and_expired_destinations_fail_with_the_fix(analyze: Callable[..., Analysis]) -> None:
    analysis = analyze("datadog_bad", CONFIG)
    assert flagged(analysis, POLICY) == {"agent-unapproved-site", "fluent-bit-datadog-expired", "configmap-datadog-unapproved"}
    messages = {v.urn.rsplit("::", 1)[-1]: v.message for v in analysis.violations if v.policy == POLICY}
    assert messages["agent-unapproved-site"] == (
        "the Datadog Agent chart (values.datadog.site) sends logs to datadog (datadoghq.com), a third party not approved for "
        "this stack: add {vendor: datadog, site: datadoghq.com, approved_by, expires, reason} to "
        "external-log-destination-approved.approved_destinations in the policy config"
    )
    expired = (TODAY - datetime.timedelta(days=30)).isoformat()
    assert messages["fluent-bit-datadog-expired"] == (
        "values.config.outputs sends logs to datadog (ap1.datadoghq.com); the approval by ciso@example.com expired on "
        f"{expired}: renew it (a new expiry) or stop sending"
    )
    assert {v.enforcement for v in analysis.violations if v.policy == POLICY} == {"mandatory"}


def test_without_any_approval_every_destination_fails(analyze: Callable[..., Analysis]) -> None:
    assert flagged(analyze("datadog_good"), POLICY) == {
        "agent-existing-secret",
        "fluent-bit-datadog",
        "fluent-bit-datadog-conf",
        "operator-agent",
    }


def test_an_approval_longer_than_a_year_is_not_an_approval(analyze: Callable[..., Analysis]) -> None:
    config = {POLICY: {"approved_destinations": [approval("datadoghq.eu", 400)]}}
    messages = [v.message for v in analyze("datadog_good", config).violations if v.policy == POLICY]
    assert messages and all("its approval runs 400 days, more than 365" in m for m in messages)


def test_the_extended_collector_rules_catch_credentials_and_clear_text(analyze: Callable[..., Analysis]) -> None:
    analysis = analyze("datadog_bad", CONFIG)
    assert flagged(analysis, "no-plaintext-credentials") == {
        "agent-api-key-in-values",
        "fluent-bit-datadog-plaintext",
        "operator-api-key-inline",
    }
    assert flagged(analysis, "collector-backend-tls") == {"agent-no-ssl", "fluent-bit-datadog-plaintext"}
    messages = {v.urn.rsplit("::", 1)[-1]: v.message for v in analysis.violations if v.policy == "collector-backend-tls"}
    assert "DD_LOGS_CONFIG_LOGS_NO_SSL=true sends logs to the intake without TLS" in messages["agent-no-ssl"]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"vendor": "datadog", "site": "datadoghq.eu", "expires": "2027-01-01", "reason": "r"}, "'approved_by' is a required property"),
        ({**approval("datadoghq.eu", 10), "vendor": "splunk"}, "'splunk' is not one of ['datadog']"),
        ({**approval("datadoghq.eu", 10), "expires": "next year"}, "does not match"),
    ],
)
def test_a_malformed_approval_is_a_config_error_naming_the_setting(pack: PolicyPackSpec, entry: dict[str, Any], expected: str) -> None:
    with pytest.raises(InputError) as caught:
        resolve_config(pack, {POLICY: {"approved_destinations": [entry]}})
    assert str(caught.value).startswith(f"policy config: {POLICY}.approved_destinations: ") and expected in str(caught.value)
