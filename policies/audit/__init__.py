"""Audit trail policies: GCP data-access audit logs, CloudTrail S3 data events, and the approved-exceptions record."""
