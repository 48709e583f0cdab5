from __future__ import annotations

from pulumi_policy import PolicyResource, Severity, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from policies.framework import BASELINE, LOG_STORES, Check, Deferred, Report, stack_policy
from policies.lib.gcs import gcs_buckets
from policies.lib.iam import KMS_KEY_USER_ROLES, iam_grants
from policies.lib.scope import SCOPE_SETTINGS, log_stores
from policies.lib.types import GCP_CRYPTO_KEY
from policies.lib.values import deps, get, known


@stack_policy(
    name="gcs-default-cmek",
    description="GCS buckets encrypt by default with a Cloud KMS key of this stack, and the project's GCS service agent "
    "holds roles/cloudkms.cryptoKeyEncrypterDecrypter on that key.",
    criteria=("CC6.1", "C1.1"),
    anchors="logmesh (no public anchor)",
    severity=Severity.HIGH,
    remediation="Set encryption.default_kms_key_name to the store's gcp.kms.CryptoKey and grant "
    "service-<project-number>@gs-project-accounts.iam.gserviceaccount.com roles/cloudkms.cryptoKeyEncrypterDecrypter on it.",
    domain="storage",
    tier=BASELINE,
    applies_to=LOG_STORES,
    settings=SCOPE_SETTINGS,
)
def gcs_default_cmek(args: StackValidationArgs, report: Report, check: Check) -> None:
    resources = list(args.resources)
    keys = [r for r in resources if r.resource_type == GCP_CRYPTO_KEY]
    grants, unknown_grants = _key_grants(resources, keys)
    deferred = Deferred()
    stores = log_stores(args.resources, check.settings)
    for bucket in (b for b in gcs_buckets(resources) if b.urn in stores):
        with deferred.each():
            key = next(iter(deps(bucket.resource, "encryption", GCP_CRYPTO_KEY)), None)
            if key is None:
                key_name = get(bucket.props, "encryption", "defaultKmsKeyName")
                if not key_name:
                    report(f"GCS bucket {bucket.name} has no default KMS key (Google-managed encryption)", bucket.urn)
                    continue
                key = next((k for k in keys if str(key_name).endswith("/cryptoKeys/" + str(known(k.props, "name") or k.name))), None)
                if key is None:
                    report(f"GCS bucket {bucket.name} default key {key_name} is not a Cloud KMS key of this stack", bucket.urn)
                    continue
            members = grants.get(key.urn, set())
            if not any(m.endswith("@gs-project-accounts.iam.gserviceaccount.com") for m in members):
                if key.urn in unknown_grants:
                    raise unknown_grants[key.urn]
                report(
                    f"GCS bucket {bucket.name}: the GCS service agent has no roles/cloudkms.cryptoKeyEncrypterDecrypter "
                    f"on its key {key.name}",
                    bucket.urn,
                )
    deferred.finish()


def _key_grants(resources: list[PolicyResource], keys: list[PolicyResource]) -> tuple[dict[str, set[str]], dict[str, UnknownValueError]]:
    """Key URN -> members holding an encrypter/decrypter role on it (IAMMember, IAMBinding or IAMPolicy),
    and key URN -> the unknown value that hid a grant's members during a preview."""
    by_name = {str(known(k.props, "name") or k.name): k for k in keys}
    found: dict[str, set[str]] = {}
    unknown: dict[str, UnknownValueError] = {}
    for r in resources:
        if not r.resource_type.startswith("gcp:kms/cryptoKeyIAM"):
            continue
        key = next(iter(deps(r, "cryptoKeyId", GCP_CRYPTO_KEY)), None)
        key_id = known(r.props, "cryptoKeyId")
        if key is None and isinstance(key_id, str):
            key = by_name.get(key_id.rsplit("/", 1)[-1])
        if key is None:
            continue
        try:
            for role, members in iam_grants(r):
                if role in KMS_KEY_USER_ROLES:
                    found.setdefault(key.urn, set()).update(members)
        except UnknownValueError as error:
            unknown.setdefault(key.urn, error)
    return found, unknown
