from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import Severity, StackValidationArgs

from policies.framework import Check, Deferred, Report, stack_policy
from policies.lib.iam import condition, principals, statements
from policies.lib.s3 import S3View
from policies.lib.values import get, json_document, strings


def _denies_insecure_transport(document: Mapping[str, Any] | None) -> bool:
    for s in statements(document):
        if s.get("Effect") != "Deny":
            continue
        if "*" not in principals(s).get("*", []) and "*" not in principals(s).get("AWS", []):
            continue
        actions = strings(s.get("Action"))
        if not any(a in ("*", "s3:*") for a in actions):
            continue
        values = condition(s, "Bool", "aws:SecureTransport") or condition(s, "BoolIfExists", "aws:SecureTransport")
        if values and "false" in [v.lower() for v in values]:
            return True
    return False


@stack_policy(
    name="s3-secure-transport-only",
    description="S3 bucket policies deny every request made without TLS (aws:SecureTransport = false).",
    criteria=("CC6.1", "CC6.7"),
    anchors="Prowler s3_bucket_secure_transport_policy; Steampipe s3_bucket_enforces_ssl; AWS Config S3_BUCKET_SSL_REQUESTS_ONLY",
    severity=Severity.HIGH,
    remediation="Add a bucket policy statement: Effect Deny, Principal '*', Action 's3:*', Resource the bucket and its "
    "objects, Condition Bool aws:SecureTransport 'false'.",
    domain="storage",
)
def s3_secure_transport_only(args: StackValidationArgs, report: Report, check: Check) -> None:
    deferred = Deferred()
    for bucket in S3View(args.resources).judged():
        with deferred.each():
            if not any(_denies_insecure_transport(json_document(get(src, "policy"))) for src in bucket.policy_sources):
                report(f"bucket {bucket.label} has no policy statement denying aws:SecureTransport=false", bucket.urn)
    deferred.finish()
