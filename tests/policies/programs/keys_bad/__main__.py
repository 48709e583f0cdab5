"""Key material with one flaw each, named for the flaw."""

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

gcp_provider = gcp.Provider("acme-keys", project="acme-keys", region="europe-west1")
gcp_opts = pulumi.ResourceOptions(provider=gcp_provider)
gcp_protected = pulumi.ResourceOptions(provider=gcp_provider, protect=True)

primary = aws.kms.Key("aws-key-unprotected", enable_key_rotation=True, multi_region=True)
aws.kms.ReplicaKey(
    "replica-short-window",
    primary_key_arn=primary.arn,
    deletion_window_in_days=7,
    opts=pulumi.ResourceOptions(protect=True),
)
# retain_on_delete alone: a policy pack cannot see it, and it does not stop a `pulumi destroy` of the stack's state.
aws.kms.Key("aws-key-retained-only", enable_key_rotation=True, opts=pulumi.ResourceOptions(retain_on_delete=True))

ring = gcp.kms.KeyRing("ring-unprotected", location="europe-west1", opts=gcp_opts)
gcp.kms.CryptoKey("gcp-key-unprotected", key_ring=ring.id, rotation_period="7776000s", opts=gcp_opts)
gcp.kms.CryptoKey(
    "destroy-after-1-day", key_ring=ring.id, rotation_period="7776000s", destroy_scheduled_duration="86400s", opts=gcp_protected
)
gcp.kms.CryptoKey(
    "destroy-delay-not-seconds", key_ring=ring.id, rotation_period="7776000s", destroy_scheduled_duration="30d", opts=gcp_protected
)
