from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from policies.framework import Check, Report, resource_policy
from policies.lib.types import TRAIL
from policies.lib.values import falsy, get, truthy


@resource_policy(
    name="cloudtrail-trail-integrity",
    description="CloudTrail trails log (enable_logging not off), validate their log files and encrypt them with a "
    "customer-managed KMS key.",
    criteria=("CC7.2", "CC7.3", "CC6.1"),
    anchors="Prowler cloudtrail_log_file_validation_enabled, cloudtrail_kms_encryption_enabled; checkov CKV_AWS_251, "
    "CKV_AWS_36, CKV_AWS_35",
    severity=Severity.HIGH,
    remediation="On the aws.cloudtrail.Trail leave enable_logging on, set enable_log_file_validation=True and "
    "kms_key_id to the ARN of a customer-managed KMS key whose policy lets cloudtrail.amazonaws.com use it.",
    domain="stack",
    types=(TRAIL,),
)
def cloudtrail_trail_integrity(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    if falsy(get(args.props, "enableLogging")):
        report("logging is stopped (enable_logging is false): the trail records nothing")
    if not truthy(get(args.props, "enableLogFileValidation")):
        report("log file validation is off: a changed or deleted log file cannot be detected")
    key = str(get(args.props, "kmsKeyId") or "")
    if not key:
        report("log files are not encrypted with a customer-managed KMS key (kms_key_id is unset; SSE-S3 only)")
    elif "alias/aws/" in key:
        report(f"kms_key_id {key} is an AWS-managed key, not a customer-managed one")
