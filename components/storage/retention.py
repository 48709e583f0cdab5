"""Retention: the three configured numbers (`logmesh:retention`) and every number a store derives from them."""

from __future__ import annotations

from dataclasses import dataclass

from components.config.schema import PlatformConfig

ABORT_INCOMPLETE_UPLOAD_DAYS = 7
SOFT_DELETE_DAYS = 7
# GCS working bucket: how long an overwritten or deleted version stays recoverable there. The archive bucket,
# not the working bucket, is what keeps logs for archive_days.
WORKING_NONCURRENT_DAYS = 7
# S3: days a version has been noncurrent before it moves to the colder class.
NONCURRENT_TRANSITION_DAYS = 1
# S3 access-logs bucket: how long the version an expiration leaves behind stays (the shortest S3 allows).
ACCESS_LOGS_NONCURRENT_DAYS = 1
# S3 Glacier Instant Retrieval: millisecond reads like STANDARD, no minimum age before a lifecycle transition
# (STANDARD_IA needs 30 days), billed for at least 90 days, which still costs less than STANDARD for any tail
# longer than about two weeks.
AWS_COLD_STORAGE_CLASS = "GLACIER_IR"
# GCS classes and their minimum storage durations (an early delete is billed up to that duration).
GCS_COLD_STORAGE_CLASSES = (("ARCHIVE", 365), ("COLDLINE", 90), ("NEARLINE", 0))
SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class RetentionPlan:
    """Every retention number a store uses, derived from `logmesh:retention` in one place.

    The backend deletes at hot_days. On S3 that delete only adds a delete marker: the locked version stays
    noncurrent for archive_days - hot_days more days, so every object is kept archive_days in total (at most
    archive_days + 1 when the lifecycle backstop deletes it instead). On GCS the backend's bucket is a working
    copy; the archive bucket keeps each object archive_days under a retention policy."""

    hot_days: int
    archive_days: int
    immutable: bool
    prod: bool

    @classmethod
    def of(cls, platform: PlatformConfig) -> RetentionPlan:
        r = platform.retention
        return cls(hot_days=r.hot_days, archive_days=r.archive_days, immutable=r.immutable, prod=platform.is_prod)

    @property
    def backend_retention_days(self) -> int:
        return self.hot_days

    @property
    def daily_index_delete_days(self) -> int:
        """Age (from creation) at which a daily index is deleted (Jaeger's span indices on ELK): an index holds one
        day, so a day after hot_days keeps each document at least hot_days and at most hot_days + 1, as the logs'
        rollover (1d) then delete at hot_days does."""
        return self.hot_days + 1

    @property
    def noncurrent_days(self) -> int:
        """S3: how long a version the backend deleted at hot_days stays, so the total is archive_days."""
        return max(1, self.archive_days - self.hot_days)

    @property
    def backstop_days(self) -> int:
        """Age at which lifecycle deletes a tenant chunk the backend failed to delete. The backend deletes at
        hot_days (Loki adds its 2h retention_delete_delay); a day later the lifecycle rule does it instead. Either
        delete only adds a delete marker in a versioned bucket, and the version left behind is kept by the
        noncurrent rule (and on S3 by the lock), so the longest an object is kept is archive_days + 1."""
        return min(self.hot_days + 1, self.archive_days)

    @property
    def lock_days(self) -> int | None:
        return self.archive_days if self.immutable else None

    @property
    def lock_mode(self) -> str | None:
        """COMPLIANCE cannot be shortened by anyone; GOVERNANCE can, with s3:BypassGovernanceRetention."""
        if not self.immutable:
            return None
        return "COMPLIANCE" if self.prod else "GOVERNANCE"

    @property
    def cold_days(self) -> int:
        """Days an object still has to live when it leaves the hot period."""
        return self.archive_days - self.hot_days

    @property
    def aws_cold_class(self) -> str | None:
        return AWS_COLD_STORAGE_CLASS if self.cold_days > 0 else None

    @property
    def gcs_cold_class(self) -> str | None:
        """The coldest class whose minimum storage duration fits in what is left of the object's life."""
        if self.cold_days <= 0:
            return None
        return next(name for name, minimum in GCS_COLD_STORAGE_CLASSES if self.cold_days >= minimum)

    @property
    def retention_period_seconds(self) -> int:
        return self.archive_days * SECONDS_PER_DAY
