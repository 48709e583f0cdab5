"""Backend identities: IRSA roles trusted only by the backend's service account, scoped to its bucket and key;
GKE Workload Identity service accounts with objectAdmin on the working bucket only and no keys."""

from __future__ import annotations

from typing import Any

import pytest

from components.identity import backend_service_account
from preflight.record.recording import Recording
from tests.helpers.harness import stack_config
from tests.helpers.store_lookups import (
    as_list,
    child,
    children,
    document,
    parliament_findings,
    statement,
    store_cases,
    store_component,
)


def _configs(recording: Recording, store_name: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    config = stack_config(recording.stack)
    store = next(s for s in config["logmesh:stores"] if s["name"] == store_name)
    cluster = next(c for c in config["logmesh:clusters"] if c["name"] == store["cluster"])
    return config, store, cluster


@pytest.mark.parametrize(("example", "store_name"), store_cases("aws"), indirect=["example"])
def test_irsa_trust_pins_the_cluster_provider_subject_and_audience(example: Recording, store_name: str) -> None:
    config, _, cluster = _configs(example, store_name)
    role = child(example, store_component(example, store_name), "aws:iam/role:Role")
    trust = document(role, "assumeRolePolicy")
    (only,) = trust["Statement"]
    assert only["Effect"] == "Allow"
    assert only["Principal"] == {"Federated": cluster["oidc_provider_arn"]}
    assert only["Action"] == "sts:AssumeRoleWithWebIdentity"
    issuer = cluster["oidc_provider_arn"].split(":oidc-provider/", 1)[1]
    account = backend_service_account(config.get("logmesh:backend", "loki"))
    assert only["Condition"] == {
        "StringEquals": {
            f"{issuer}:sub": f"system:serviceaccount:{account.namespace}:{account.name}",
            f"{issuer}:aud": "sts.amazonaws.com",
        }
    }
    assert parliament_findings(trust, "trust policy") == []


@pytest.mark.parametrize(("example", "store_name"), store_cases("aws"), indirect=["example"])
def test_irsa_inline_policy_reaches_only_its_bucket_and_key(example: Recording, store_name: str) -> None:
    store = store_component(example, store_name)
    role = child(example, store, "aws:iam/role:Role")
    bucket = next(b for b in children(example, store, "aws:s3/bucket:Bucket") if not b.inputs["bucket"].endswith("-access-logs"))
    key = child(example, store, "aws:kms/key:Key")
    (inline,) = children(example, store, "aws:iam/rolePolicy:RolePolicy")
    assert inline.inputs["role"] == role.inputs["name"]
    policy = document(inline)
    bucket_arn, key_arn = bucket.outputs["arn"], key.outputs["arn"]
    assert statement(policy, "ListTheStoreBucket") == {
        "Sid": "ListTheStoreBucket",
        "Effect": "Allow",
        "Action": ["s3:ListBucket", "s3:ListBucketMultipartUploads"],
        "Resource": bucket_arn,
    }
    objects = statement(policy, "ReadWriteDeleteStoreObjects")
    # Elasticsearch's repository-s3 uploads large blobs in parts (AWS's recommended policy for it).
    assert set(objects["Action"]) == {
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts",
    }
    assert objects["Resource"] == f"{bucket_arn}/*"
    use = statement(policy, "UseTheStoreKey")
    assert set(use["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey"}
    assert use["Resource"] == key_arn
    for s in policy["Statement"]:
        assert s["Effect"] == "Allow"
        assert "*" not in as_list(s["Action"]) and "*" not in as_list(s["Resource"])
    # Without s3:DeleteObjectVersion or a bypass, the backend's deletes are only delete markers.
    assert not [a for s in policy["Statement"] for a in as_list(s["Action"]) if "Version" in a or "Bypass" in a]
    assert parliament_findings(policy, "role policy") == []
    assert [r for r in example.resources if r.type.startswith("aws:iam/") and r.parent == store.urn] == [role, inline]


@pytest.mark.parametrize(("example", "store_name"), store_cases("aws"), indirect=["example"])
def test_irsa_role_is_the_backend_annotation_subject(example: Recording, store_name: str) -> None:
    role = child(example, store_component(example, store_name), "aws:iam/role:Role")
    config = stack_config(example.stack)
    assert role.inputs["name"] == f"logmesh-{config['logmesh:environment']}-{store_name}-{config.get('logmesh:backend', 'loki')}"
    assert role.inputs["maxSessionDuration"] == 3600


@pytest.mark.parametrize(("example", "store_name"), store_cases("gcp"), indirect=["example"])
def test_gke_workload_identity_binds_only_the_backend_service_account(example: Recording, store_name: str) -> None:
    config, store_config, cluster = _configs(example, store_name)
    store = store_component(example, store_name)
    account = child(example, store, "gcp:serviceaccount/account:Account")
    assert account.inputs["project"] == store_config["project"]
    assert 6 <= len(account.inputs["accountId"]) <= 30
    (binding,) = children(example, store, "gcp:serviceaccount/iAMMember:IAMMember")
    k8s_account = backend_service_account(config.get("logmesh:backend", "loki"))
    assert binding.inputs == {
        "serviceAccountId": account.outputs["name"],
        "role": "roles/iam.workloadIdentityUser",
        "member": f"serviceAccount:{cluster['project']}.svc.id.goog[{k8s_account.namespace}/{k8s_account.name}]",
    }
    # No service-account keys anywhere in the stack.
    assert not [r for r in example.resources if r.type == "gcp:serviceaccount/key:Key"]


@pytest.mark.parametrize(("example", "store_name"), store_cases("gcp"), indirect=["example"])
def test_gke_backend_is_object_admin_on_its_working_bucket_only(example: Recording, store_name: str) -> None:
    config, _, _ = _configs(example, store_name)
    store = store_component(example, store_name)
    email = child(example, store, "gcp:serviceaccount/account:Account").outputs["email"]
    member = f"serviceAccount:{email}"
    grants = [r for r in example.resources if r.inputs.get("member") == member]
    assert len(grants) == 1
    (grant,) = grants
    assert grant.type == "gcp:storage/bucketIAMMember:BucketIAMMember"
    assert grant.inputs["role"] == "roles/storage.objectAdmin"
    assert grant.inputs["bucket"] == f"{config['logmesh:org']}-{config['logmesh:environment']}-{store_name}-logs"


DOCUMENT_KINDS = {
    ("aws:kms/key:Key", "policy"): "key policy",
    ("aws:s3/bucketPolicy:BucketPolicy", "policy"): "bucket policy",
    ("aws:iam/role:Role", "assumeRolePolicy"): "trust policy",
    ("aws:iam/rolePolicy:RolePolicy", "policy"): "role policy",
    ("aws:sns/topicPolicy:TopicPolicy", "policy"): "topic policy",
}


def test_every_iam_document_of_every_store_passes_parliament(example: Recording) -> None:
    """Finds the documents itself, so a policy added later cannot skip the check."""
    stores = {r.urn for r in example.resources if r.type.startswith("logmesh:storage:")}
    checked = 0
    for resource in example.resources:
        if resource.parent not in stores or not resource.type.startswith("aws:"):
            continue
        for field in ("policy", "assumeRolePolicy", "inlinePolicies"):
            if field not in resource.inputs:
                continue
            kind = DOCUMENT_KINDS.get((resource.type, field))
            assert kind is not None, f"unclassified IAM document {resource.type}.{field}"
            assert parliament_findings(document(resource, field), kind) == [], f"{resource.type} {resource.name}"
            checked += 1
    aws_stores = [s for s in stack_config(example.stack)["logmesh:stores"] if s["cloud"] == "aws"]
    assert checked == 6 * len(aws_stores)
