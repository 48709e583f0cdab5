"""A compliant GCP log store written by hand: logmesh's archive + working bucket design (the working bucket has
no retention policy; a Storage Transfer job copies it into a locked archive bucket), CMEK with the GCS service
agent's grant, Workload Identity for the backend, Data Access audit logs."""

import pulumi
import pulumi_gcp as gcp

PROJECT = "acme-logs"
provider = gcp.Provider("acme-logs", project=PROJECT, region="europe-west1")
opts = pulumi.ResourceOptions(provider=provider)
protected = pulumi.ResourceOptions(provider=provider, protect=True, retain_on_delete=True)

ring = gcp.kms.KeyRing("logs", location="europe-west1", opts=protected)
key = gcp.kms.CryptoKey("logs", key_ring=ring.id, rotation_period="7776000s", opts=protected)
# The project's GCS service agent (gcp.storage.get_project_service_account returns it; spelled out here).
agent = "serviceAccount:service-987654321098@gs-project-accounts.iam.gserviceaccount.com"
grant = gcp.kms.CryptoKeyIAMMember(
    "gcs-agent-uses-key", crypto_key_id=key.id, role="roles/cloudkms.cryptoKeyEncrypterDecrypter", member=agent, opts=opts
)
gcp.kms.CryptoKeyIAMMember(
    "security-admins-manage-key", crypto_key_id=key.id, role="roles/cloudkms.admin", member="group:security-admins@acme.example", opts=opts
)

common = {
    "location": "EU",
    "labels": {"logmesh-log-store": "true"},  # a log store: the log-store controls judge it
    "uniform_bucket_level_access": True,
    "public_access_prevention": "enforced",
    "encryption": {"default_kms_key_name": key.id},
}
working = gcp.storage.Bucket(
    "working",
    name="acme-prod-working-logs",
    lifecycle_rules=[{"action": {"type": "Delete"}, "condition": {"age": 30}}],
    **common,
    opts=pulumi.ResourceOptions(provider=provider, protect=True, depends_on=[grant]),
)
archive = gcp.storage.Bucket(
    "archive",
    name="acme-prod-archive-logs",
    retention_policy={"retention_period": str(400 * 86400), "is_locked": True},
    lifecycle_rules=[{"action": {"type": "Delete"}, "condition": {"age": 400}}],
    **common,
    opts=pulumi.ResourceOptions(provider=provider, protect=True, depends_on=[grant]),
)
gcp.storage.TransferJob(
    "working-to-archive",
    description="copy logs into the locked archive",
    project=PROJECT,
    transfer_spec={
        "gcs_data_source": {"bucket_name": working.name},
        "gcs_data_sink": {"bucket_name": archive.name},
    },
    schedule={"schedule_start_date": {"year": 2026, "month": 1, "day": 1}, "repeat_interval": "3600s"},
    opts=opts,
)

backend = gcp.serviceaccount.Account("loki", account_id="loki-store", opts=opts)
gcp.serviceaccount.IAMMember(
    "loki-workload-identity",
    service_account_id=backend.name,
    role="roles/iam.workloadIdentityUser",
    member=f"serviceAccount:{PROJECT}.svc.id.goog[logging/loki]",
    opts=opts,
)
gcp.storage.BucketIAMMember(
    "loki-objects",
    bucket=working.name,
    role="roles/storage.objectAdmin",
    member=backend.email.apply(lambda e: f"serviceAccount:{e}"),
    opts=opts,
)
gcp.projects.IAMAuditConfig(
    "data-access",
    project=PROJECT,
    service="allServices",
    audit_log_configs=[{"log_type": "DATA_READ"}, {"log_type": "DATA_WRITE"}, {"log_type": "ADMIN_READ"}],
    opts=opts,
)
