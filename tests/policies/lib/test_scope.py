"""The log-store scope inference, reused across the stack policies of one analysis only for the same resources."""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource

from policies.lib.scope import AWS_TAG, _inferred_once, log_stores

BUCKET = "aws:s3/bucket:Bucket"


def _bucket(name: str, props: dict[str, Any]) -> PolicyResource:
    urn = f"urn:pulumi:dev::peer::{BUCKET}::{name}"
    return PolicyResource(BUCKET, props, urn, name, None, None, None, [], {})  # type: ignore[arg-type]


def test_scope_follows_the_resources_it_is_given_not_the_last_answer() -> None:
    marked = [_bucket("logs", {"bucket": "logs", "tags": {AWS_TAG: "true"}}), _bucket("site", {"bucket": "site"})]
    assert list(log_stores(marked).values()) == [f"marked {AWS_TAG}=true"]
    assert log_stores(marked) == log_stores(list(marked))  # the same resources again: the same answer
    assert _inferred_once(list(marked)) is _inferred_once(marked)  # ... and not inferred again (the same props objects)
    # The same URNs with new props (the next analysis, or each policy under the CLI): inferred afresh.
    unmarked = [_bucket("logs", {"bucket": "logs"}), marked[1]]
    assert log_stores(unmarked) == {}
    assert log_stores(marked) != {}


def test_settings_apply_to_a_reused_inference() -> None:
    resources = [_bucket("logs", {"bucket": "logs", "tags": {AWS_TAG: "true"}}), _bucket("site", {"bucket": "site"})]
    assert len(log_stores(resources)) == 1
    assert len(log_stores(resources, {"scope": "all"})) == 2
    assert log_stores(resources, {"scope": "all", "not_log_stores": ["logs"]}) == {
        "urn:pulumi:dev::peer::aws:s3/bucket:Bucket::site": "every bucket (scope: all)"
    }
