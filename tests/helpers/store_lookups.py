"""Shared lookups for the store, key and identity tests: registered resources by store, wire inputs, IAM documents.

Every helper reads the recording of the real program (types and camelCase inputs as the SDK sends them)."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest
from parliament import analyze_policy_string

from preflight.record.mocks import RealisticMocks
from preflight.record.project import load_stack_config
from preflight.record.recording import Recording, Registration
from tests.helpers.harness import PROJECT, STACKS, stack_config

STORE_TYPES = {"aws": "logmesh:storage:AwsLogStore", "gcp": "logmesh:storage:GcpLogStore"}


def _example_stores() -> list[tuple[str, str, str]]:
    cases = []
    for stack in STACKS:
        for store in load_stack_config(PROJECT, stack).values["logmesh:stores"]:
            cases.append((stack, store["cloud"], store["name"]))
    return cases


EXAMPLE_STORES = _example_stores()


def store_cases(cloud: str | None = None, stack: str | None = None) -> list[Any]:
    """`(example, store_name)` parameters, `example` fed to conftest's cached fixture indirectly."""
    return [
        pytest.param(s, name, id=f"{s}-{name}")
        for s, c, name in EXAMPLE_STORES
        if (cloud is None or c == cloud) and (stack is None or s == stack)
    ]


def store_component(recording: Recording, name: str) -> Registration:
    found = [r for r in recording.resources if r.type in STORE_TYPES.values() and r.name == name]
    assert len(found) == 1, f"expected one LogStore named {name}, found {len(found)}"
    return found[0]


def children(recording: Recording, parent: Registration, type_: str) -> list[Registration]:
    return [r for r in recording.resources if r.parent == parent.urn and r.type == type_]


def child(recording: Recording, parent: Registration, type_: str, **inputs: Any) -> Registration:
    """The one child of `type_` whose inputs contain every `inputs` item."""
    found = [r for r in children(recording, parent, type_) if all(r.inputs.get(k) == v for k, v in inputs.items())]
    assert len(found) == 1, f"expected one {type_} with {inputs} under {parent.name}, found {len(found)}"
    return found[0]


def document(registration: Registration, field: str = "policy") -> dict[str, Any]:
    value = registration.inputs[field]
    assert isinstance(value, str), f"{registration.type} {field} must be a JSON string"
    parsed: dict[str, Any] = json.loads(value)
    return parsed


def statement(doc: dict[str, Any], sid: str) -> dict[str, Any]:
    found = [s for s in doc["Statement"] if s.get("Sid") == sid]
    assert len(found) == 1, f"no single statement {sid}"
    return found[0]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# Parliament findings accepted for a kind of document, each with the reason. Anything else fails.
ACCEPTED_FINDINGS: dict[str, dict[str, str]] = {
    "key policy": {
        # In a KMS key policy `Resource: "*"` means "this key" (the only resource a key policy governs); the
        # key's ARN cannot appear in its own creation-time policy. Parliament reads it as an identity policy.
        "RESOURCE_STAR": "a key policy's Resource '*' is the key itself",
        # Community auditor: kms:PutKeyPolicy, kms:CreateGrant and kms:RevokeGrant change who may use the key.
        # That is what key administration is; the issue gives it to the account (its IAM administrators), and
        # the account statement carries no use action (asserted in test_keys).
        "PERMISSIONS_MANAGEMENT_ACTIONS": "administering a key means managing its policy and grants",
    },
    "trust policy": {
        # Parliament knows SAML providers and a few web identity providers, not IAM OIDC providers: an EKS
        # cluster's OIDC provider ARN (`arn:aws:iam::<account>:oidc-provider/oidc.eks...`) is what IRSA needs.
        "UNKNOWN_FEDERATION_SOURCE": "parliament does not recognise IAM OIDC provider ARNs",
        # A role trust policy has no Resource element (the role itself is the resource); parliament expects one
        # because it checks identity policies.
        "MALFORMED": "a trust policy has no Resource element",
    },
}


def parliament_findings(doc: dict[str, Any], kind: str) -> list[tuple[str, Any]]:
    """Parliament's findings (with community auditors) that are not accepted for `kind`."""
    result = analyze_policy_string(json.dumps(doc), include_community_auditors=True)
    accepted = ACCEPTED_FINDINGS.get(kind, {})
    return [(f.issue, f.detail) for f in result.findings if f.issue not in accepted or not _accepted_detail(kind, f.issue, f.detail)]


def _accepted_detail(kind: str, issue: str, detail: Any) -> bool:
    """An accepted finding must also be the expected one, not another problem under the same name."""
    if kind == "trust policy" and issue == "MALFORMED":
        return detail == "Statement contains neither Resource nor NotResource"
    if kind == "trust policy" and issue == "UNKNOWN_FEDERATION_SOURCE":
        return isinstance(detail, str) and ":oidc-provider/oidc.eks." in detail
    return True


def raw_parliament_issues(doc: dict[str, Any]) -> set[str]:
    return {f.issue for f in analyze_policy_string(json.dumps(doc), include_community_auditors=True).findings}


def gcs_service_agent(project: str) -> str:
    """The IAM member of the project's Cloud Storage service agent as Cloud Storage reports it (the offline answer
    to gcp.storage.getProjectServiceAccount): the grant must use what the provider answers, which creates the agent."""
    args = pulumi.runtime.MockCallArgs(
        token="gcp:storage/getProjectServiceAccount:getProjectServiceAccount", args={"project": project}, provider=""
    )
    answer, _failures = RealisticMocks().call(args)
    return f"serviceAccount:{answer['emailAddress']}"


S3 = "aws:s3/"
SSE = S3 + "bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
LIFECYCLE = S3 + "bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET = "aws:s3/bucket:Bucket"
GCS_BUCKET = "gcp:storage/bucket:Bucket"
GCS_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"


def settings(recording: Recording, store_name: str) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """(stack config, store config, tenant names) as the stack file declares them."""
    config = stack_config(recording.stack)
    store = next(s for s in config["logmesh:stores"] if s["name"] == store_name)
    clouds = {s["cloud"] for s in config["logmesh:stores"]}
    tenants = []
    for cluster in config["logmesh:clusters"]:
        target = cluster.get("store") or next(s["name"] for s in config["logmesh:stores"] if s["cloud"] == cluster["cloud"])
        if target == store_name:
            tenants.append(cluster["name"])
    assert store["cloud"] in clouds
    return config, store, tenants


def bucket_name(config: dict[str, Any], store: dict[str, Any], suffix: str) -> str:
    return f"{config['logmesh:org']}-{config['logmesh:environment']}-{store['name']}-{suffix}"


def attached(recording: Recording, store: Registration, type_: str, bucket: str) -> Registration:
    return child(recording, store, type_, bucket=bucket)
