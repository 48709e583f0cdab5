"""Resources that take their project from their parent, under a provider whose default project is another one: a
CryptoKey from its key ring (by reference and by a literal `keyRing` id), a key IAM member from its key, a bucket
IAM member from its bucket. The key ring and bucket live in acme-logs, which audits Data Access; `elsewhere-key`
sits in a key ring of acme-other, which does not."""

import pulumi
import pulumi_gcp as gcp

provider = gcp.Provider("apps", project="acme-apps", region="europe-west1")
opts = pulumi.ResourceOptions(provider=provider)

for service in ("storage.googleapis.com", "cloudkms.googleapis.com"):
    gcp.projects.IAMAuditConfig(
        f"audit-{service.split('.')[0]}",
        project="acme-logs",
        service=service,
        audit_log_configs=[{"log_type": "DATA_READ"}, {"log_type": "DATA_WRITE"}],
        opts=opts,
    )
ring = gcp.kms.KeyRing("logs", project="acme-logs", location="europe-west1", opts=opts)
key = gcp.kms.CryptoKey("ring-key", key_ring=ring.id, rotation_period="7776000s", opts=opts)
gcp.kms.CryptoKey(
    "literal-ring-key", key_ring="projects/acme-logs/locations/europe-west1/keyRings/logs", rotation_period="7776000s", opts=opts
)
gcp.kms.CryptoKeyIAMMember(
    "key-user", crypto_key_id=key.id, role="roles/cloudkms.cryptoKeyDecrypter", member="group:a@acme.example", opts=opts
)
bucket = gcp.storage.Bucket("logs", name="acme-logs-bucket", project="acme-logs", location="EU", opts=opts)
gcp.storage.BucketIAMMember("reader", bucket=bucket.name, role="roles/storage.objectViewer", member="group:a@acme.example", opts=opts)

other = gcp.kms.KeyRing("other", project="acme-other", location="europe-west1", opts=opts)
gcp.kms.CryptoKey("elsewhere-key", key_ring=other.id, rotation_period="7776000s", opts=opts)
