"""Every policy of the logmesh-soc2 pack, in pack order. `approved-exceptions` must stay last: it reports the
exceptions the other policies recorded during the same analysis."""

from __future__ import annotations

from pulumi_policy import Policy

from policies.audit.approved_exceptions import approved_exceptions
from policies.audit.cloudtrail_s3_data_events import cloudtrail_s3_data_events
from policies.audit.cloudtrail_trail_integrity import cloudtrail_trail_integrity
from policies.audit.cloudtrail_trail_monitored import cloudtrail_trail_monitored
from policies.audit.gcp_data_access_audit_logs import gcp_data_access_audit_logs
from policies.audit.log_store_scope import log_store_scope
from policies.gcs.gcs_default_cmek import gcs_default_cmek
from policies.gcs.gcs_lifecycle_and_versioning import gcs_lifecycle_and_versioning
from policies.gcs.gcs_public_access_prevention import gcs_public_access_prevention
from policies.gcs.gcs_retention_policy_locked import gcs_retention_policy_locked
from policies.gcs.gcs_uniform_bucket_level_access import gcs_uniform_bucket_level_access
from policies.identity.backend_iam_least_privilege import backend_iam_least_privilege
from policies.identity.gcp_workload_identity_scoped import gcp_workload_identity_scoped
from policies.identity.irsa_trust_pinned import irsa_trust_pinned
from policies.kms.aws_kms_key_deletion_window import aws_kms_key_deletion_window
from policies.kms.aws_kms_key_policy_not_public import aws_kms_key_policy_not_public
from policies.kms.aws_kms_key_rotation_enabled import aws_kms_key_rotation_enabled
from policies.kms.gcp_kms_key_destroy_delay import gcp_kms_key_destroy_delay
from policies.kms.gcp_kms_key_rotation_period import gcp_kms_key_rotation_period
from policies.kms.key_deletion_protected import key_deletion_protected
from policies.kms.kms_separation_of_duties import kms_separation_of_duties
from policies.kubernetes.collector_backend_tls import collector_backend_tls
from policies.kubernetes.collector_buffering_bounded import collector_buffering_bounded
from policies.kubernetes.collector_rbac_read_only import collector_rbac_read_only
from policies.kubernetes.collector_runs_as_non_root import collector_runs_as_non_root
from policies.kubernetes.elastic_security_and_tls import elastic_security_and_tls
from policies.kubernetes.external_log_destination_approved import external_log_destination_approved
from policies.kubernetes.helm_releases_rendered import helm_releases_rendered
from policies.kubernetes.logging_namespace_network_policy import logging_namespace_network_policy
from policies.kubernetes.logging_namespaces_pod_security import logging_namespaces_pod_security
from policies.kubernetes.logging_pods_hardened import logging_pods_hardened
from policies.kubernetes.logging_pods_host_isolated import logging_pods_host_isolated
from policies.kubernetes.loki_auth_enabled import loki_auth_enabled
from policies.kubernetes.no_plaintext_credentials import no_plaintext_credentials
from policies.kubernetes.rbac_least_privilege import rbac_least_privilege
from policies.kubernetes.trace_receivers_authenticated import trace_receivers_authenticated
from policies.monitoring.collector_and_gap_alert import collector_and_gap_alert
from policies.s3.log_store_deletion_protected import log_store_deletion_protected
from policies.s3.s3_acls_disabled import s3_acls_disabled
from policies.s3.s3_default_encryption_kms import s3_default_encryption_kms
from policies.s3.s3_lifecycle_expiration import s3_lifecycle_expiration
from policies.s3.s3_object_lock_default_retention import s3_object_lock_default_retention
from policies.s3.s3_public_access_block import s3_public_access_block
from policies.s3.s3_retention_within_bounds import s3_retention_within_bounds
from policies.s3.s3_secure_transport_only import s3_secure_transport_only
from policies.s3.s3_server_access_logging import s3_server_access_logging
from policies.s3.s3_sse_customer_managed_key import s3_sse_customer_managed_key
from policies.s3.s3_versioning_enabled import s3_versioning_enabled

ALL_POLICIES: list[Policy] = [
    s3_default_encryption_kms,
    s3_sse_customer_managed_key,
    s3_versioning_enabled,
    s3_object_lock_default_retention,
    s3_lifecycle_expiration,
    s3_retention_within_bounds,
    s3_public_access_block,
    s3_secure_transport_only,
    s3_server_access_logging,
    s3_acls_disabled,
    gcs_default_cmek,
    gcs_retention_policy_locked,
    gcs_uniform_bucket_level_access,
    gcs_public_access_prevention,
    gcs_lifecycle_and_versioning,
    log_store_deletion_protected,
    aws_kms_key_rotation_enabled,
    aws_kms_key_policy_not_public,
    aws_kms_key_deletion_window,
    gcp_kms_key_rotation_period,
    kms_separation_of_duties,
    key_deletion_protected,
    gcp_kms_key_destroy_delay,
    backend_iam_least_privilege,
    irsa_trust_pinned,
    gcp_workload_identity_scoped,
    logging_namespace_network_policy,
    collector_backend_tls,
    loki_auth_enabled,
    trace_receivers_authenticated,
    elastic_security_and_tls,
    collector_rbac_read_only,
    rbac_least_privilege,
    helm_releases_rendered,
    no_plaintext_credentials,
    collector_runs_as_non_root,
    logging_pods_host_isolated,
    logging_pods_hardened,
    logging_namespaces_pod_security,
    gcp_data_access_audit_logs,
    cloudtrail_s3_data_events,
    cloudtrail_trail_integrity,
    cloudtrail_trail_monitored,
    collector_and_gap_alert,
    log_store_scope,
    external_log_destination_approved,
    collector_buffering_bounded,
    approved_exceptions,
]
