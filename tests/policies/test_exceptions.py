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


def _exception(resource: str, expires: str = "2999-12-31") -> dict[str, str]:
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
            # by fnmatch pattern on the URN
            "s3-object-lock-default-retention": {"exceptions": [_exception("urn:pulumi:*::aws:s3/bucket:Bucket::lock-*")]},
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
            "bucket bad-lock-governance default retention mode is GOVERNANCE, required COMPLIANCE",
        ),
    }
    messages = {}
    for policy, name, message in expected:
        entry = {
            "policy": policy,
            "urn": _urn(name),
            "reason": "migration to object lock scheduled",
            "approved_by": "ciso@acme.example",
            "expires": "2999-12-31",
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
    config = {"aws-kms-key-deletion-window": {"exceptions": [_exception("key-short-window", expires="2030-06-30")]}}
    monkeypatch.setattr(exceptions, "today", lambda: datetime.date(2030, 6, 30))
    assert flagged(analyze("aws_bad", config), "aws-kms-key-deletion-window") == set()
    monkeypatch.setattr(exceptions, "today", lambda: datetime.date(2030, 7, 1))
    assert flagged(analyze("aws_bad", config), "aws-kms-key-deletion-window") == {"key-short-window"}


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"resource": "bare", "reason": "r", "expires": "2030-01-01"}, "'approved_by' is a required property"),
        ({**_exception("bare"), "expires": "2030-02-30"}, "is not a 'date'"),
        ({**_exception("bare"), "expires": "next year"}, "does not match"),
        ({**_exception("bare"), "ticket": "SEC-1"}, "Additional properties are not allowed"),
        ({**_exception("bare"), "reason": ""}, "should be non-empty"),
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
            "exceptions": [_exception("key-short-window", expires="2020-01-31"), _exception("key-*", expires="2999-12-31")]
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
