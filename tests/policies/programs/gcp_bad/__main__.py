"""GCP resources with one flaw each, named for the flaw; `bucket()` builds a compliant bucket and changes one setting."""

import pulumi
import pulumi_gcp as gcp

PROJECT = "acme-bad"
provider = gcp.Provider("acme-bad", project=PROJECT, region="europe-west1")
opts = pulumi.ResourceOptions(provider=provider)

ring = gcp.kms.KeyRing("ring", location="europe-west1", opts=opts)
key = gcp.kms.CryptoKey("store-key", key_ring=ring.id, rotation_period="7776000s", opts=opts)
agent = "serviceAccount:service-123456789012@gs-project-accounts.iam.gserviceaccount.com"
gcp.kms.CryptoKeyIAMBinding(
    "store-key-users",
    crypto_key_id=key.id,
    role="roles/cloudkms.cryptoKeyEncrypterDecrypter",
    members=[agent, "user:alice@acme.example"],
    opts=opts,
)
ungranted = gcp.kms.CryptoKey("ungranted-key", key_ring=ring.id, rotation_period="7776000s", opts=opts)
gcp.kms.CryptoKey("key-no-rotation", key_ring=ring.id, opts=opts)
gcp.kms.CryptoKey("key-slow-rotation", key_ring=ring.id, rotation_period="31536000s", opts=opts)
gcp.projects.IAMMember("alice-kms-admin", project=PROJECT, role="roles/cloudkms.admin", member="user:alice@acme.example", opts=opts)
gcp.kms.CryptoKeyIAMMember("key-public-user", crypto_key_id=key.id, role="roles/cloudkms.cryptoKeyDecrypter", member="allUsers", opts=opts)

LOCKED = {"retention_period": str(400 * 86400), "is_locked": True}


def bucket(name: str, **overrides: object) -> gcp.storage.Bucket:
    settings = {
        "location": "EU",
        "labels": {"logmesh-log-store": "true"},
        "uniform_bucket_level_access": True,
        "public_access_prevention": "enforced",
        "encryption": {"default_kms_key_name": key.id},
        "retention_policy": LOCKED,
        "lifecycle_rules": [{"action": {"type": "Delete"}, "condition": {"age": 400}}],
        **overrides,
    }
    return gcp.storage.Bucket(
        name,
        name=f"bad-{name}",
        **{k: v for k, v in settings.items() if v is not None},
        opts=pulumi.ResourceOptions(provider=provider, protect=True),
    )


bucket("compliant")
bucket("no-cmek", encryption=None)
bucket("foreign-key", encryption={"default_kms_key_name": "projects/other/locations/eu/keyRings/r/cryptoKeys/elsewhere"})
bucket("key-without-agent-grant", encryption={"default_kms_key_name": ungranted.id})
bucket("no-retention", retention_policy=None, versioning={"enabled": True})
bucket(
    "short-retention",
    retention_policy={"retention_period": str(30 * 86400), "is_locked": True},
    lifecycle_rules=[{"action": {"type": "Delete"}, "condition": {"age": 400}}],
)
bucket("unlocked-retention", retention_policy={"retention_period": str(400 * 86400), "is_locked": False})
unlocked_archive = bucket("unlocked-archive", retention_policy={"retention_period": str(400 * 86400), "is_locked": False})
feeds_unlocked = bucket(
    "feeds-unlocked-archive", retention_policy=None, lifecycle_rules=[{"action": {"type": "Delete"}, "condition": {"age": 30}}]
)
gcp.storage.TransferJob(
    "to-unlocked-archive",
    description="copy",
    transfer_spec={"gcs_data_source": {"bucket_name": feeds_unlocked.name}, "gcs_data_sink": {"bucket_name": unlocked_archive.name}},
    opts=opts,
)
bucket("fine-grained-acls", uniform_bucket_level_access=False)
bucket("public-access-inherited", public_access_prevention="inherited")
public = bucket("publicly-readable")
gcp.storage.BucketIAMMember("public-reader", bucket=public.name, role="roles/storage.objectViewer", member="allUsers", opts=opts)
bucket("no-delete-rule", lifecycle_rules=[{"action": {"type": "SetStorageClass", "storage_class": "ARCHIVE"}, "condition": {"age": 30}}])
bucket("deletes-too-late", lifecycle_rules=[{"action": {"type": "Delete"}, "condition": {"age": 5000}}])
bucket("delete-before-retention", lifecycle_rules=[{"action": {"type": "Delete"}, "condition": {"age": 365}}])
bucket("force-destroy", force_destroy=True)

backend = gcp.serviceaccount.Account("backend", account_id="backend", opts=opts)
gcp.serviceaccount.IAMMember(
    "wi-other-namespace",
    service_account_id=backend.name,
    role="roles/iam.workloadIdentityUser",
    member=f"serviceAccount:{PROJECT}.svc.id.goog[default/app]",
    opts=opts,
)
gcp.serviceaccount.IAMBinding(
    "wi-any-user", service_account_id=backend.name, role="roles/iam.workloadIdentityUser", members=["user:bob@acme.example"], opts=opts
)
gcp.projects.IAMMember(
    "project-wide-storage",
    project=PROJECT,
    role="roles/storage.objectAdmin",
    member=backend.email.apply(lambda e: f"serviceAccount:{e}"),
    opts=opts,
)
gcp.serviceaccount.Key("static-key", service_account_id=backend.name, opts=opts)
