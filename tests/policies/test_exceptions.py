"""Exceptions with accountability: approved, unexpired exceptions move a violation into the advisory
`approved-exceptions` report; expired ones are violations again; malformed ones are rejected."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest

from policies import exceptions
from preflight.analyze.config import resolve_config
from preflight.analyze.findings import Analysis
from preflight.analyze.pack import PolicyPackSpec
from preflight.errors import InputError
from tests.policies.conftest import flagged, recording

SOON = (exceptions.today() + datetime.timedelta(days=100)).isoformat()


def _days_left(expires: str) -> int:
    """As the analysis counts them when it runs (SOON is fixed at import: a run across midnight sees one day less)."""
    return (datetime.date.fromisoformat(expires) - exceptions.today()).days


def _exception(resource: str, expires: str = SOON) -> dict[str, str]:
    return {"resource": resource, "reason": "migration to object lock scheduled", "approved_by": "ciso@acme.example", "expires": expires}


def _urn(name: str) -> str:
    return next(r.urn for r in recording("aws_bad").resources if r.name == name)


@pytest.fixture(scope="module")
def excepted(analyze: Callable[..., Analysis]) -> Analysis:
    return analyze(
        "aws_bad",
        {
            # by resource name
            "s3-versioning-enabled": {"exceptions": [_exception("versioning-suspended")]},
            # by exact URN, on a resource policy
            "aws-kms-key-deletion-window": {"exceptions": [_exception(_urn("key-short-window"))]},
            # by resource name, on another stack policy
            "s3-object-lock-default-retention": {"exceptions": [_exception("lock-governance")]},
            # expired yesterday or long ago: a violation again
            "s3-public-access-block": {"exceptions": [_exception("pab-partial", expires="2020-01-31")]},
        },
    )


def test_excepted_violations_are_not_reported_by_their_policy(excepted: Analysis) -> None:
    assert flagged(excepted, "s3-versioning-enabled") == {"bare", "access-logs", "unversioned-short-expiry"}
    assert flagged(excepted, "aws-kms-key-deletion-window") == set()
    assert flagged(excepted, "s3-object-lock-default-retention") == {"bare", "no-object-lock", "retention-too-short"}


def test_each_exception_is_reported_with_its_accountability(excepted: Analysis) -> None:
    reported = [v for v in excepted.violations if v.policy == "approved-exceptions"]
    assert {v.enforcement for v in reported} == {"advisory"}
    expected = {
        ("s3-versioning-enabled", "versioning-suspended", "bucket bad-versioning-suspended does not have versioning enabled"),
        ("aws-kms-key-deletion-window", "key-short-window", "deletion window is 7 days, shorter than 30"),
        (
            "s3-object-lock-default-retention",
            "lock-governance",
            "bucket bad-lock-governance default retention is GOVERNANCE and policy-star may bypass it "
            "(s3:BypassGovernanceRetention): deny that action, or use COMPLIANCE",
        ),
    }
    messages = {}
    for policy, name, message in expected:
        entry = {
            "policy": policy,
            "urn": _urn(name),
            "reason": "migration to object lock scheduled",
            "approved_by": "ciso@acme.example",
            "expires": SOON,
            "days_left": 100,
            "message": message,
        }
        messages[_urn(name)] = "exception: " + json.dumps(entry, sort_keys=True)
    assert {v.urn: v.message for v in reported} == messages
    assert exceptions.RECORDED == []


def test_expired_exception_is_a_violation_that_says_so(excepted: Analysis) -> None:
    [violation] = [v for v in excepted.violations if v.policy == "s3-public-access-block" and v.urn == _urn("pab-partial")]
    assert violation.enforcement == "mandatory"
    assert violation.message.endswith("(the exception approved by ciso@acme.example expired on 2020-01-31)")


def test_an_exception_expires_after_its_last_day(monkeypatch: pytest.MonkeyPatch, analyze: Callable[..., Analysis]) -> None:
    last_day = exceptions.today() + datetime.timedelta(days=10)
    config = {"aws-kms-key-deletion-window": {"exceptions": [_exception("key-short-window", expires=last_day.isoformat())]}}
    monkeypatch.setattr(exceptions, "today", lambda: last_day)
    assert flagged(analyze("aws_bad", config), "aws-kms-key-deletion-window") == set()
    monkeypatch.setattr(exceptions, "today", lambda: last_day + datetime.timedelta(days=1))
    assert flagged(analyze("aws_bad", config), "aws-kms-key-deletion-window") == {"key-short-window"}


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"resource": "bare", "reason": "r", "expires": SOON}, "'approved_by' is a required property"),
        ({**_exception("bare"), "expires": "2030-02-30"}, "is not a 'date'"),
        ({**_exception("bare"), "expires": "next year"}, "does not match"),
        ({**_exception("bare"), "ticket": "SEC-1"}, "Additional properties are not allowed"),
        ({**_exception("bare"), "reason": ""}, "does not match"),
        ({**_exception("bare"), "approved_by": " "}, "does not match"),
        ({**_exception("bare"), "resource": "*"}, "does not match"),
        ({**_exception("bare"), "resource": "urn:pulumi:*::aws:s3/bucket:Bucket::lock-*"}, "does not match"),
    ],
)
def test_malformed_exceptions_are_rejected(
    entry: dict[str, Any], problem: str, pack: PolicyPackSpec, analyze: Callable[..., Analysis]
) -> None:
    config = {"s3-versioning-enabled": {"exceptions": [entry]}}
    # what the Pulumi CLI checks against the policy's config schema before it configures the pack
    schema = {"type": "object", "properties": pack.policy("s3-versioning-enabled").config_schema.properties}  # type: ignore[union-attr]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(config["s3-versioning-enabled"], schema, format_checker=jsonschema.FormatChecker())
    # and what the pack itself refuses to run with (preflight, or a CLI that skipped the schema)
    with pytest.raises(exceptions.PolicyConfigError) as error:
        analyze("aws_bad", config)
    assert "s3-versioning-enabled.exceptions[0]" in str(error.value) and problem in str(error.value)
    exceptions.RECORDED.clear()


def test_unknown_settings_are_rejected_by_name(pack: PolicyPackSpec) -> None:
    with pytest.raises(InputError, match=r"s3-versioning-enabled\.exception is not a setting"):
        resolve_config(pack, {"s3-versioning-enabled": {"exception": []}})


def test_every_policy_accepts_exceptions(pack: PolicyPackSpec) -> None:
    for policy in pack.policies:
        assert policy.config_schema is not None and policy.config_schema.properties["exceptions"] == exceptions.SCHEMA


def test_a_renewed_exception_wins_over_its_expired_entry(analyze: Callable[..., Analysis]) -> None:
    config = {
        "aws-kms-key-deletion-window": {
            "exceptions": [_exception("key-short-window", expires="2020-01-31"), _exception(_urn("key-short-window"))]
        }
    }
    analysis = analyze("aws_bad", config)
    assert flagged(analysis, "aws-kms-key-deletion-window") == set()
    assert [e.urn for e in analysis.exceptions] == [_urn("key-short-window")]


def test_an_exception_for_one_policy_hides_no_other(analyze: Callable[..., Analysis]) -> None:
    everything = {(v.policy, v.urn) for v in analyze("aws_bad").findings}
    excepted = analyze("aws_bad", {"s3-versioning-enabled": {"exceptions": [_exception("bare")]}})
    assert {(v.policy, v.urn) for v in excepted.findings} == everything - {("s3-versioning-enabled", _urn("bare"))}
    assert [(e.policy, e.urn) for e in excepted.exceptions] == [("s3-versioning-enabled", _urn("bare"))]


def test_an_approval_runs_at_most_a_year(pack: PolicyPackSpec) -> None:
    """The pack's own ceiling (under the Pulumi CLI too); preflight refuses the config before (next test)."""
    with pytest.raises(
        exceptions.PolicyConfigError, match=r"s3-versioning-enabled\.exceptions\[0\]\.expires 9999-12-31 is [0-9]+ days ahead"
    ):
        exceptions.parse("s3-versioning-enabled", [_exception("bare", expires="9999-12-31")])
    with pytest.raises(InputError, match=r"s3-versioning-enabled\.exceptions\[0\]\.expires 9999-12-31 .* at most 365 days"):
        resolve_config(pack, {"s3-versioning-enabled": {"exceptions": [_exception("bare", expires="9999-12-31")]}})


def test_preflight_refuses_an_approval_longer_than_the_setting(pack: PolicyPackSpec) -> None:
    config = {"approved-exceptions": {"max_exception_days": 30}, "s3-versioning-enabled": {"exceptions": [_exception("bare")]}}
    with pytest.raises(InputError, match=r"s3-versioning-enabled\.exceptions\[0\]\.expires .* at most 30 days"):
        resolve_config(pack, config)


def test_an_exception_for_a_resource_not_in_the_stack_is_reported(analyze: Callable[..., Analysis]) -> None:
    analysis = analyze("aws_bad", {"s3-versioning-enabled": {"exceptions": [_exception("renamed-bucket")]}})
    notes = [v.message for v in analysis.violations if v.policy == "approved-exceptions"]
    assert notes == ["s3-versioning-enabled.exceptions[0] names renamed-bucket, which is not a resource of this stack"]


def test_preflight_refuses_an_exception_for_a_resource_not_in_the_stack(pack: PolicyPackSpec) -> None:
    from preflight.analyze.config import check_exception_targets

    resolved = resolve_config(pack, {"s3-versioning-enabled": {"exceptions": [_exception("renamed-bucket")]}})
    urns = [r.urn for r in recording("aws_bad").resources]
    with pytest.raises(InputError, match=r"s3-versioning-enabled\.exceptions\[0\]\.resource 'renamed-bucket' is not a resource"):
        check_exception_targets(resolved, urns, "policy config")
    check_exception_targets(resolve_config(pack, {"s3-versioning-enabled": {"exceptions": [_exception("bare")]}}), urns, "policy config")


def test_reports_show_days_left(excepted: Analysis) -> None:
    assert {e.approval.expiry_label for e in excepted.exceptions if e.approval} == {f"{SOON} ({_days_left(SOON)} days left)"}
