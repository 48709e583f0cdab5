"""The GCP log store: a working bucket and a locked archive bucket with CMEK, the Storage Transfer job between them,
audit logs, and the Workload Identity service account the backend writes with."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp

from components.identity import GKE_WORKLOAD_IDENTITY_ANNOTATION, create_gke_backend_identity
from components.keys import create_gcp_store_key
from components.storage.base import StoreBase, bucket_name, tenant_prefixes
from components.storage.interface import LogStoreArgs
from components.storage.retention import SECONDS_PER_DAY, SOFT_DELETE_DAYS, WORKING_NONCURRENT_DAYS, RetentionPlan

# The Storage Transfer job copies the working bucket into the archive once a day from this date; a start date
# in the past makes the first run the day after the job is created.
TRANSFER_SCHEDULE_START: gcp.storage.TransferJobScheduleScheduleStartDateArgsDict = {"year": 2026, "month": 1, "day": 1}
GCS_AUDITED_SERVICES = ("storage.googleapis.com", "cloudkms.googleapis.com")
GCS_AUDIT_LOG_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")
# The group Cloud Storage writes usage and storage logs as.
GCS_ANALYTICS_WRITER = "group:cloud-storage-analytics@google.com"
BACKEND_BUCKET_ROLE = "roles/storage.objectAdmin"
# Storage Transfer Service: read the source; create (never delete or overwrite) in the sink. Encryption with
# the buckets' CMEK is done by the Cloud Storage service agent, so the transfer agent needs no key role.
TRANSFER_SOURCE_ROLES = ("roles/storage.objectViewer", "roles/storage.legacyBucketReader")
TRANSFER_SINK_ROLES = ("roles/storage.objectCreator", "roles/storage.legacyBucketReader")


def storage_transfer_agent(project_number: str) -> str:
    return f"project-{project_number}@storage-transfer-service.iam.gserviceaccount.com"


def gcs_working_lifecycle_rules(plan: RetentionPlan, tenants: tuple[str, ...]) -> list[gcp.storage.BucketLifecycleRuleArgsDict]:
    """No colder class here: every chunk leaves the working bucket within WORKING_NONCURRENT_DAYS of hot_days,
    sooner than any colder class's minimum storage duration (the archive holds the long tail)."""
    return [
        # The backstop for a backend that failed to delete at hot_days, as on S3.
        {
            "action": {"type": "Delete"},
            "condition": {"age": plan.backstop_days, "matches_prefixes": tenant_prefixes(tenants), "with_state": "LIVE"},
        },
        # Noncurrent versions only: never removes a live object (the backend's index lives beside the chunks).
        {"action": {"type": "Delete"}, "condition": {"days_since_noncurrent_time": WORKING_NONCURRENT_DAYS, "with_state": "ARCHIVED"}},
        # Age counts from a version's creation: no version outlives archive_days, whenever it became noncurrent.
        {"action": {"type": "Delete"}, "condition": {"age": plan.archive_days, "with_state": "ARCHIVED"}},
    ]


def gcs_immutability(plan: RetentionPlan) -> dict[str, Any]:
    """A retention policy of archive_days (locked in prod); versioning instead when the stack is not immutable
    (GCS does not allow both on one bucket)."""
    if plan.lock_days is None:
        return {"versioning": {"enabled": True}}
    return {"retention_policy": {"retention_period": str(plan.retention_period_seconds), "is_locked": plan.prod}}


def gcs_noncurrent_cleanup(plan: RetentionPlan) -> list[gcp.storage.BucketLifecycleRuleArgsDict]:
    """Versioned (not immutable) buckets: a version deleted early stays until it is archive_days old (age counts
    from its creation), and the version the age rule for live objects leaves behind goes at once."""
    if plan.lock_days is not None:
        return []
    return [{"action": {"type": "Delete"}, "condition": {"age": plan.archive_days, "with_state": "ARCHIVED"}}]


def gcs_soft_delete(plan: RetentionPlan) -> gcp.storage.BucketSoftDeletePolicyArgsDict:
    """Under a retention policy nothing can be deleted before archive_days (short of removing an unlocked policy,
    as a GOVERNANCE bypass can on S3), so soft delete would only keep expired logs longer; a versioned bucket keeps
    it as the guard against deleting a version outright."""
    days = 0 if plan.lock_days is not None else SOFT_DELETE_DAYS
    return {"retention_duration_seconds": days * SECONDS_PER_DAY}


def gcs_archive_lifecycle_rules(plan: RetentionPlan) -> list[gcp.storage.BucketLifecycleRuleArgsDict]:
    # The archive is never read by the backend, so every object in it expires at archive_days.
    rules: list[gcp.storage.BucketLifecycleRuleArgsDict] = []
    cold = plan.gcs_cold_class
    if cold is not None:
        rules.append(
            {
                "action": {"type": "SetStorageClass", "storage_class": cold},
                "condition": {"age": plan.hot_days, "matches_storage_classes": ["STANDARD"]},
            }
        )
    rules.append({"action": {"type": "Delete"}, "condition": {"age": plan.archive_days}})
    return rules + gcs_noncurrent_cleanup(plan)


class GcpLogStore(StoreBase):
    """Cloud KMS key, a CMEK working bucket for the backend, an immutable CMEK archive bucket filled daily by
    Storage Transfer Service, an access-logs bucket, Data Access audit logs and the backend's Workload Identity.

    Why two buckets: a GCS retention policy blocks every delete and overwrite, and GCS does not allow Object
    Versioning beside it, while Loki's compactor deletes chunks and an Elasticsearch repository overwrites and
    deletes blobs. The backend therefore works in a versioned bucket and keeps hot_days there; the archive holds
    a copy of every object for exactly archive_days under a retention policy (locked in prod)."""

    def __init__(self, name: str, args: LogStoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("logmesh:storage:GcpLogStore", name, args, opts)
        platform, store, plan = args.platform, args.store, self.plan
        project, project_number = store.project or "", store.project_number or ""
        working_name = bucket_name(platform, store, "logs")
        archive_name = bucket_name(platform, store, "archive")
        access_name = bucket_name(platform, store, "access-logs")

        keys = create_gcp_store_key(name, platform=platform, store=store, guarded=self._guarded(), child=self._child())
        key = keys.key
        # Every bucket uses the key by default, so it can only be created once the GCS service agent may use it.
        # The key explicitly too (its id is an input as well): the key's destruction waits for every bucket using it.
        after_grant: list[pulumi.Resource] = [key, keys.storage_agent_grant]
        encryption: gcp.storage.BucketEncryptionArgsDict = {"default_kms_key_name": key.id}

        def private_bucket(
            resource_name: str, bucket: str, soft_delete: gcp.storage.BucketSoftDeletePolicyArgsDict, **settings: Any
        ) -> gcp.storage.Bucket:
            return gcp.storage.Bucket(
                resource_name,
                name=bucket,
                project=project,
                location=store.region,
                storage_class="STANDARD",
                uniform_bucket_level_access=True,
                public_access_prevention="enforced",
                force_destroy=False,
                encryption=encryption,
                soft_delete_policy=soft_delete,
                opts=self._guarded(depends_on=after_grant),
                **settings,
            )

        # Access logs are audit evidence written once: immutable like the archive.
        access = private_bucket(
            f"{name}-access-logs",
            access_name,
            lifecycle_rules=[
                {"action": {"type": "Delete"}, "condition": {"age": plan.archive_days, "matches_prefixes": [working_name, archive_name]}},
                *gcs_noncurrent_cleanup(plan),
            ],
            soft_delete=gcs_soft_delete(plan),
            **gcs_immutability(plan),
        )
        gcp.storage.BucketIAMMember(
            f"{name}-access-logs-writer",
            bucket=access.name,
            role="roles/storage.objectCreator",
            member=GCS_ANALYTICS_WRITER,
            opts=self._child(),
        )

        working = private_bucket(
            f"{name}-logs",
            working_name,
            soft_delete={"retention_duration_seconds": SOFT_DELETE_DAYS * SECONDS_PER_DAY},
            versioning={"enabled": True},
            lifecycle_rules=gcs_working_lifecycle_rules(plan, args.tenants),
            logging={"log_bucket": access.name, "log_object_prefix": working_name},
        )
        archive = private_bucket(
            f"{name}-archive",
            archive_name,
            lifecycle_rules=gcs_archive_lifecycle_rules(plan),
            logging={"log_bucket": access.name, "log_object_prefix": archive_name},
            soft_delete=gcs_soft_delete(plan),
            **gcs_immutability(plan),
        )

        identity = create_gke_backend_identity(name, self.principal, opts=self._child())
        gcp.storage.BucketIAMMember(
            f"{name}-logs-backend",
            bucket=working.name,
            role=BACKEND_BUCKET_ROLE,
            member=identity.account.email.apply(lambda email: f"serviceAccount:{email}"),
            opts=self._child(),
        )

        # GCP creates Storage Transfer's service agent only when something asks for it (googleServiceAccounts.get); a
        # grant to its address in a project that never asked (a new logs project) fails with "service account ... does
        # not exist". Ask first; the grants wait for the answer.
        asked = gcp.storage.get_transfer_project_service_account_output(
            project=project, opts=pulumi.InvokeOutputOptions(parent=self, provider=self.provider)
        )
        transfer_agent = asked.apply(lambda _: f"serviceAccount:{storage_transfer_agent(project_number)}")
        transfer_grants: list[pulumi.Resource] = []
        for bucket, suffix, roles in ((working, "logs", TRANSFER_SOURCE_ROLES), (archive, "archive", TRANSFER_SINK_ROLES)):
            for role in roles:
                transfer_grants.append(
                    gcp.storage.BucketIAMMember(
                        f"{name}-{suffix}-transfer-{role.rsplit('.', 1)[-1]}",
                        bucket=bucket.name,
                        role=role,
                        member=transfer_agent,
                        opts=self._child(),
                    )
                )
        gcp.storage.TransferJob(
            f"{name}-archive-copy",
            project=project,
            description=f"logmesh {platform.environment} {store.name}: daily copy of {working_name} into {archive_name}",
            status="ENABLED",
            transfer_spec={
                "gcs_data_source": {"bucket_name": working.name},
                "gcs_data_sink": {"bucket_name": archive.name},
                "transfer_options": {
                    "overwrite_when": "NEVER",
                    "delete_objects_unique_in_sink": False,
                    "delete_objects_from_source_after_transfer": False,
                },
            },
            schedule={
                "schedule_start_date": TRANSFER_SCHEDULE_START,
                "start_time_of_day": {"hours": 1, "minutes": 0, "seconds": 0, "nanos": 0},
                "repeat_interval": f"{SECONDS_PER_DAY}s",
            },
            logging_config={"log_actions": ["COPY", "FIND"], "log_action_states": ["FAILED"]},
            opts=self._child(depends_on=transfer_grants),
        )

        for service in GCS_AUDITED_SERVICES:
            gcp.projects.IAMAuditConfig(
                f"{name}-audit-{service.split('.', 1)[0]}",
                project=project,
                service=service,
                audit_log_configs=[{"log_type": log_type} for log_type in GCS_AUDIT_LOG_TYPES],
                opts=self._child(),
            )

        self.bucket_name = working.name
        self.bucket_url = working.url
        self.bucket_id = working.self_link
        self.key_id = key.id
        self.identity = identity.account.email
        self.identity_annotations = identity.account.email.apply(lambda email: {GKE_WORKLOAD_IDENTITY_ANNOTATION: email})
        self.archive_bucket_name = archive.name
        self._register()
