"""Key material that logs depend on, protected from deletion the ways teams write it: an AWS key and its replica,
a Cloud KMS key ring and keys (a destroy delay left at the Cloud KMS default, and a longer one)."""

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

protected = pulumi.ResourceOptions(protect=True, retain_on_delete=True)
gcp_provider = gcp.Provider("acme-keys", project="acme-keys", region="europe-west1")
gcp_protected = pulumi.ResourceOptions(provider=gcp_provider, protect=True, retain_on_delete=True)

primary = aws.kms.Key("logs-key", enable_key_rotation=True, multi_region=True, opts=protected)
replica_region = aws.Provider("us-west-2", region="us-west-2")
aws.kms.ReplicaKey(
    "logs-key-replica",
    primary_key_arn=primary.arn,
    deletion_window_in_days=30,
    opts=pulumi.ResourceOptions(provider=replica_region, protect=True),
)

ring = gcp.kms.KeyRing("logs", location="europe-west1", opts=gcp_protected)
gcp.kms.CryptoKey("default-delay", key_ring=ring.id, rotation_period="7776000s", opts=gcp_protected)
gcp.kms.CryptoKey(
    "long-delay", key_ring=ring.id, rotation_period="7776000s", destroy_scheduled_duration=f"{90 * 86400}s", opts=gcp_protected
)
