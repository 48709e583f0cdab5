"""gcp_iam_policy against the upstream provider's own expected outputs, and the Terraform set order both use.

Cases: hashicorp/terraform-provider-google google/services/resourcemanager/data_source_google_iam_policy_test.go.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

import pytest

from preflight.record.gcp_iam_policy import gcp_iam_policy
from preflight.record.terraform import string_set


def _b(role: str, *members: str, condition: dict[str, str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"role": role, "members": list(members)}
    if condition is not None:
        out["condition"] = condition
    return out


def _c(expression: str, title: str, description: str) -> dict[str, str]:
    return {"expression": expression, "title": title, "description": description}


A = _c("expressionA", "titleA", "descriptionA")
GCP_CASES: list[tuple[list[dict[str, Any]], str]] = [
    ([_b("role/A", "user:c", "user:a", "user:b")], '{"bindings":[{"members":["user:a","user:b","user:c"],"role":"role/A"}]}'),
    (
        [_b("role/B", "user:a"), _b("role/A", "user:a", condition=A), _b("role/C", "user:a")],
        '{"bindings":[{"condition":{"description":"descriptionA","expression":"expressionA","title":"titleA"},"members":["user:a"],"role":"role/A"},{"members":["user:a"],"role":"role/B"},{"members":["user:a"],"role":"role/C"}]}',
    ),
    ([_b("role/A", "user:a"), _b("role/A", "user:b")], '{"bindings":[{"members":["user:a","user:b"],"role":"role/A"}]}'),
    ([_b("role/A", "user:a"), _b("role/A", "user:a")], '{"bindings":[{"members":["user:a"],"role":"role/A"}]}'),
    (
        [_b("role/A", "user:c"), _b("role/A", "user:b", condition=A), _b("role/A", "user:a", condition=A)],
        '{"bindings":[{"members":["user:c"],"role":"role/A"},{"condition":{"description":"descriptionA","expression":"expressionA","title":"titleA"},"members":["user:a","user:b"],"role":"role/A"}]}',
    ),
    (
        [_b("role/A", "user:a", condition=A), _b("role/A", "user:a")],
        '{"bindings":[{"members":["user:a"],"role":"role/A"},{"condition":{"description":"descriptionA","expression":"expressionA","title":"titleA"},"members":["user:a"],"role":"role/A"}]}',
    ),
    (
        [
            _b("role/A", "user:a", condition=_c("A", "B", "C")),
            _b("role/A", "user:a", condition=_c("B", "C", "A")),
            _b("role/A", "user:a", condition=_c("C", "A", "B")),
        ],
        '{"bindings":[{"condition":{"description":"C","expression":"A","title":"B"},"members":["user:a"],"role":"role/A"},{"condition":{"description":"A","expression":"B","title":"C"},"members":["user:a"],"role":"role/A"},{"condition":{"description":"B","expression":"C","title":"A"},"members":["user:a"],"role":"role/A"}]}',
    ),
    (
        [
            _b("role/A", "user:a", condition=_c("same expression", "B", "A")),
            _b("role/A", "user:a", condition=_c("same expression", "A", "B")),
        ],
        '{"bindings":[{"condition":{"description":"B","expression":"same expression","title":"A"},"members":["user:a"],"role":"role/A"},{"condition":{"description":"A","expression":"same expression","title":"B"},"members":["user:a"],"role":"role/A"}]}',  # noqa: E501 (upstream literal)
    ),
    (
        [
            _b("role/A", "user:a", condition=_c("same expression", "same title", "B")),
            _b("role/A", "user:a", condition=_c("same expression", "same title", "A")),
        ],
        '{"bindings":[{"condition":{"description":"A","expression":"same expression","title":"same title"},"members":["user:a"],"role":"role/A"},{"condition":{"description":"B","expression":"same expression","title":"same title"},"members":["user:a"],"role":"role/A"}]}',  # noqa: E501 (upstream literal)
    ),
    (
        [
            _b("role/A", "user:a", condition=_c("A", "A", "A")),
            _b("role/A", "user:a"),
            _b("role/A", "user:a", condition=_c("B", "B", "B")),
            _b("role/B", "user:a", condition=_c("A", "A", "A")),
            _b("role/B", "user:a"),
            _b("role/B", "user:a", condition=_c("B", "B", "B")),
        ],
        '{"bindings":[{"members":["user:a"],"role":"role/A"},{"condition":{"description":"A","expression":"A","title":"A"},"members":["user:a"],"role":"role/A"},{"condition":{"description":"B","expression":"B","title":"B"},"members":["user:a"],"role":"role/A"},{"members":["user:a"],"role":"role/B"},{"condition":{"description":"A","expression":"A","title":"A"},"members":["user:a"],"role":"role/B"},{"condition":{"description":"B","expression":"B","title":"B"},"members":["user:a"],"role":"role/B"}]}',
    ),
]


@pytest.mark.parametrize(("bindings", "expected"), GCP_CASES)
def test_gcp_upstream_cases(bindings: list[dict[str, Any]], expected: str) -> None:
    result = gcp_iam_policy({"bindings": bindings})
    assert result["policyData"] == expected
    assert result["id"] == str(zlib.crc32(expected.encode()))


def test_gcp_condition_without_description_and_audit_configs() -> None:
    result = gcp_iam_policy(
        {
            "bindings": [{"role": "roles/viewer", "members": ["allUsers"], "condition": {"expression": "true", "title": "t"}}],
            "auditConfigs": [
                {
                    "service": "allServices",
                    "auditLogConfigs": [{"logType": "DATA_READ", "exemptedMembers": ["user:b", "user:a"]}, {"logType": "ADMIN_READ"}],
                }
            ],
        }
    )
    data = json.loads(result["policyData"])
    assert data["bindings"] == [{"condition": {"expression": "true", "title": "t"}, "members": ["allUsers"], "role": "roles/viewer"}]
    assert data["auditConfigs"][0]["service"] == "allServices"
    assert {c["logType"] for c in data["auditConfigs"][0]["auditLogConfigs"]} == {"DATA_READ", "ADMIN_READ"}
    assert list(result["policyData"]).index("a") < result["policyData"].index("bindings")  # auditConfigs first
    assert gcp_iam_policy({})["policyData"] == "{}"


def test_set_order_rules() -> None:
    # Sets without a Set function hash "v;" (HashSchema); GCP binding members use HashString ("v").
    values = ["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"]
    assert string_set(values) == sorted(values, key=lambda v: str(zlib.crc32((v + ";").encode())))
    assert string_set(values, hash_string=True) == sorted(values, key=lambda v: str(zlib.crc32(v.encode())))
    assert string_set(values) != string_set(values, hash_string=True)  # the two rules differ on this input
    assert string_set(["a", "a", "b"]) in (["a", "b"], ["b", "a"])  # deduplicated
