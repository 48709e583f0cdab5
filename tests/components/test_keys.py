"""Customer-managed keys: AWS KMS key settings and key policy, Cloud KMS rotation and its service-agent grant."""

from __future__ import annotations

import pytest

from preflight.record.recording import Recording
from tests.helpers.harness import stack_config
from tests.helpers.store_lookups import (
    ACCEPTED_FINDINGS,
    as_list,
    child,
    document,
    gcs_service_agent,
    parliament_findings,
    raw_parliament_issues,
    statement,
    store_cases,
    store_component,
)

USE_ACTIONS = {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"}
USE_PREFIXES = ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncrypt", "kms:*", "*")


@pytest.mark.parametrize(("example", "store_name"), store_cases("aws"), indirect=["example"])
def test_aws_key_settings_and_alias(example: Recording, store_name: str) -> None:
    config = stack_config(example.stack)
    store = store_component(example, store_name)
    key = child(example, store, "aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    assert key.inputs["keyUsage"] == "ENCRYPT_DECRYPT"
    assert key.inputs["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert key.inputs["bypassPolicyLockoutSafetyCheck"] is False
    alias = child(example, store, "aws:kms/alias:Alias")
    assert alias.inputs["name"] == f"alias/logmesh-{config['logmesh:environment']}-{store_name}"
    assert alias.inputs["targetKeyId"] == key.outputs["keyId"]


@pytest.mark.parametrize(("example", "store_name"), store_cases("aws"), indirect=["example"])
def test_aws_key_policy_administration_to_the_account_use_only_to_backend_and_cloudtrail(example: Recording, store_name: str) -> None:
    store_config = next(s for s in stack_config(example.stack)["logmesh:stores"] if s["name"] == store_name)
    account = store_config["account_id"]
    store = store_component(example, store_name)
    key = child(example, store, "aws:kms/key:Key")
    role = child(example, store, "aws:iam/role:Role")
    trail = child(example, store, "aws:cloudtrail/trail:Trail")
    policy = document(key)

    admin = statement(policy, "AccountAdministersTheKey")
    assert admin["Principal"] == {"AWS": f"arn:aws:iam::{account}:root"}
    assert not [a for a in as_list(admin["Action"]) if a.startswith(USE_PREFIXES)], "the account administers, never uses"

    backend = statement(policy, "BackendUsesTheKey")
    assert backend["Principal"] == {"AWS": role.outputs["arn"]}
    assert role.outputs["arn"] == f"arn:aws:iam::{account}:role/{role.inputs['name']}"
    assert set(as_list(backend["Action"])) == USE_ACTIONS

    for sid in ("CloudTrailEncryptsItsLogFiles", "CloudTrailDescribesTheKey"):
        cloudtrail = statement(policy, sid)
        assert cloudtrail["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
        assert cloudtrail["Condition"]["StringEquals"]["aws:SourceArn"] == trail.outputs["arn"]

    users = set()
    for s in policy["Statement"]:
        assert s["Effect"] == "Allow"
        principal = s["Principal"]
        assert (principal != "*" and principal != {"AWS": "*"}) or "Condition" in s, "no * principal without a condition"
        if any(a.startswith(USE_PREFIXES) for a in as_list(s["Action"])) and not s["Sid"].startswith("EbsVolumes"):
            users.add(str(principal))
    assert users == {str({"AWS": role.outputs["arn"]}), str({"Service": "cloudtrail.amazonaws.com"})}
    # With tracing on Loki (every example stack), EBS volumes use the key too, and only through EC2 in the store's
    # region (tests/components/tracing/test_tracing_platform.py has the statements).
    for s in policy["Statement"]:
        if s["Sid"].startswith("EbsVolumes"):
            assert s["Principal"] == {"AWS": f"arn:aws:iam::{account}:root"}
            assert s["Condition"]["StringEquals"]["kms:ViaService"] == f"ec2.{store_config['region']}.amazonaws.com"


@pytest.mark.parametrize(("example", "store_name"), store_cases("aws"), indirect=["example"])
def test_aws_key_policy_passes_parliament(example: Recording, store_name: str) -> None:
    policy = document(child(example, store_component(example, store_name), "aws:kms/key:Key"))
    assert parliament_findings(policy, "key policy") == []
    # The accepted finding is really there and is the only reason for acceptance: Resource "*" in a key policy.
    assert raw_parliament_issues(policy) <= set(ACCEPTED_FINDINGS["key policy"])
    assert {s["Resource"] for s in policy["Statement"]} == {"*"}


@pytest.mark.parametrize(("example", "store_name"), store_cases("gcp"), indirect=["example"])
def test_gcp_key_ring_key_rotation_and_storage_agent_grant(example: Recording, store_name: str) -> None:
    config = stack_config(example.stack)
    store_config = next(s for s in config["logmesh:stores"] if s["name"] == store_name)
    store = store_component(example, store_name)
    ring = child(example, store, "gcp:kms/keyRing:KeyRing")
    assert ring.inputs == {
        "name": f"logmesh-{config['logmesh:environment']}-{store_name}",
        "location": store_config["region"],
        "project": store_config["project"],
    }
    key = child(example, store, "gcp:kms/cryptoKey:CryptoKey")
    assert key.inputs["keyRing"] == ring.id
    assert key.inputs["purpose"] == "ENCRYPT_DECRYPT"
    rotation = key.inputs["rotationPeriod"]
    assert rotation.endswith("s") and int(rotation[:-1]) <= 90 * 86400
    assert int(key.inputs["destroyScheduledDuration"].removesuffix("s")) >= 30 * 86400
    grant = child(example, store, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", member=gcs_service_agent(store_config["project"]))
    assert grant.inputs["cryptoKeyId"] == key.id
    assert grant.inputs["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    # The agent the provider reports for the project: asking for it creates it (a grant to its address alone fails
    # in a project that never asked).
    assert grant.inputs["member"] == gcs_service_agent(store_config["project"])
    # The only identities that may use the key are the Cloud Storage service agent and, with tracing on Loki (every
    # Loki example stack: Badger's disk), the Compute Engine service agent; no one administers and uses it.
    key_members = [r for r in example.resources if r.type.startswith("gcp:kms/cryptoKeyIAM") and r.inputs.get("cryptoKeyId") == key.id]
    compute_agent = f"serviceAccount:service-{store_config['project_number']}@compute-system.iam.gserviceaccount.com"
    expected = [(grant.inputs["member"], grant.inputs["role"])]
    if stack_config(example.stack)["logmesh:backend"] == "loki":
        expected.append((compute_agent, "roles/cloudkms.cryptoKeyEncrypterDecrypter"))
    assert sorted((m.inputs["member"], m.inputs["role"]) for m in key_members) == sorted(expected)
