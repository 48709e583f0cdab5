"""What both clouds' log stores share, on every example stack: the store provider and parent of every resource,
buckets that are never force-destroyed, and prod keys and buckets that survive a destroy."""

from __future__ import annotations

import pytest

from preflight.record.recording import Recording
from tests.helpers.store_lookups import (
    BUCKET,
    EXAMPLE_STORES,
    GCS_BUCKET,
    S3,
    children,
    store_cases,
    store_component,
)


def test_example_stores_cover_both_clouds_and_every_stack() -> None:
    assert {(stack, cloud) for stack, cloud, _ in EXAMPLE_STORES} == {
        ("dev", "aws"),
        ("staging", "aws"),
        ("staging", "gcp"),
        ("prod", "aws"),
        ("prod", "gcp"),
        ("staging-elk", "aws"),
        ("staging-elk", "gcp"),
    }


@pytest.mark.parametrize(("example", "store_name"), store_cases(), indirect=["example"])
def test_every_store_resource_uses_the_store_provider_and_is_parented(example: Recording, store_name: str) -> None:
    store = store_component(example, store_name)
    cloud = "aws" if store.type.endswith("AwsLogStore") else "gcp"
    providers = [r for r in example.resources if r.type == f"pulumi:providers:{cloud}" and r.name == f"{store_name}-{cloud}"]
    assert len(providers) == 1
    reference = f"{providers[0].urn}::{providers[0].id}"
    platform = example.of_type("logmesh:platform:LogPlatform")[0]
    assert store.parent == platform.urn
    resources = [r for r in example.resources if r.parent == store.urn]
    assert len(resources) > 10
    for resource in resources:
        assert resource.custom, resource.type
        assert resource.provider == reference, f"{resource.type} {resource.name} uses {resource.provider}"


@pytest.mark.parametrize(("example", "store_name"), store_cases(), indirect=["example"])
def test_buckets_are_never_force_destroyed(example: Recording, store_name: str) -> None:
    store = store_component(example, store_name)
    buckets = children(example, store, BUCKET) + children(example, store, GCS_BUCKET)
    assert len(buckets) in (2, 3)
    for bucket in buckets:
        assert bucket.inputs["forceDestroy"] is False


# --- prod data-loss guards ----------------------------------------------------------------------

GUARDED_TYPES = (BUCKET, GCS_BUCKET, "aws:kms/key:Key", "gcp:kms/keyRing:KeyRing", "gcp:kms/cryptoKey:CryptoKey")


@pytest.mark.parametrize(("example", "store_name"), store_cases(stack="prod"), indirect=["example"])
def test_prod_keys_and_buckets_are_protected_retained_and_immutable(example: Recording, store_name: str) -> None:
    store = store_component(example, store_name)
    guarded = [r for r in example.resources if r.parent == store.urn and r.type in GUARDED_TYPES]
    assert len(guarded) >= 3
    for resource in guarded:
        assert resource.protect is True, f"{resource.type} {resource.name} is not protected"
        assert resource.retain_on_delete is True, f"{resource.type} {resource.name} is not retained on delete"
    if store.type.endswith("AwsLogStore"):
        (lock,) = children(example, store, S3 + "bucketObjectLockConfiguration:BucketObjectLockConfiguration")
        assert lock.inputs["rule"]["defaultRetention"]["mode"] == "COMPLIANCE"
        assert lock.protect is True
    else:
        buckets = children(example, store, GCS_BUCKET)
        locked = {b.name.removeprefix(f"{store_name}-") for b in buckets if b.inputs.get("retentionPolicy", {}).get("isLocked") is True}
        # The working bucket cannot carry a retention policy: the backend deletes and overwrites there.
        assert locked == {"archive", "access-logs"}


@pytest.mark.parametrize(("example", "store_name"), store_cases(stack="dev") + store_cases(stack="staging"), indirect=["example"])
def test_non_prod_stores_can_be_torn_down(example: Recording, store_name: str) -> None:
    store = store_component(example, store_name)
    for resource in (r for r in example.resources if r.parent == store.urn):
        assert resource.protect is False and resource.retain_on_delete is False, resource.name


def test_no_tenant_prefix_can_be_the_loki_deletion_marker_prefix() -> None:
    import pytest

    from components.names import LOKI_DELETION_MARKER_PREFIX
    from components.storage.base import tenant_prefixes

    assert tenant_prefixes(("prod-eks",)) == ["prod-eks/"]
    with pytest.raises(ValueError, match="deletion markers"):
        tenant_prefixes((LOKI_DELETION_MARKER_PREFIX.rstrip("/"),))
