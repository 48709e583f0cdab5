"""backend-iam-least-privilege reads AWS's service authorization data (shipped with parliament): an action without
resource-level permissions may be granted on `*`; everything that can be scoped must be."""

from __future__ import annotations

from collections.abc import Callable

from preflight.analyze.findings import Analysis
from tests.policies.conftest import flagged

POLICY = "backend-iam-least-privilege"


def test_only_the_flawed_policies_are_flagged(analyze: Callable[..., Analysis]) -> None:
    assert flagged(analyze("iam_actions"), POLICY) == {
        "scoped-action-on-star",
        "wildcard-expands-to-scoped",
        "kms-everything",
        "not-action",
        "not-resource",
        "admin",
    }


def test_messages_name_the_scoped_actions(analyze: Callable[..., Analysis]) -> None:
    messages = {v.message for v in analyze("iam_actions").violations if v.policy == POLICY}
    assert "scoped-action-on-star: allows ec2:TerminateInstances on Resource '*'; it can be scoped to a resource (instance)" in messages
    assert any(
        m.startswith("wildcard-expands-to-scoped: allows dynamodb:Get* on Resource '*'; it expands to actions scoped to") for m in messages
    )
    assert {v.enforcement for v in analyze("iam_actions").violations if v.policy == POLICY} == {"mandatory"}
