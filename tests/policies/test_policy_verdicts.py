"""Every policy passes its compliant fixture program and flags exactly the resources built with its flaw."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from preflight.analyze.findings import Analysis
from preflight.analyze.pack import PolicyPackSpec
from tests.policies.conftest import flagged
from tests.policies.kubernetes.test_external_log_destination_approved import CONFIG as DATADOG_APPROVALS

# policy -> (compliant program, flawed program, resources it must flag there: nothing else)
EXPECTED: dict[str, tuple[str, str, set[str]]] = {
    "s3-default-encryption-kms": ("aws_good", "aws_bad", {"bare", "sse-s3"}),
    "s3-sse-customer-managed-key": ("aws_good", "aws_bad", {"sse-aws-managed-key", "sse-foreign-key"}),
    "s3-versioning-enabled": ("aws_good", "aws_bad", {"bare", "versioning-suspended", "access-logs", "unversioned-short-expiry"}),
    "s3-object-lock-default-retention": ("aws_good", "aws_bad", {"bare", "lock-governance", "no-object-lock", "retention-too-short"}),
    "s3-lifecycle-expiration": ("aws_good", "aws_bad", {"bare", "lifecycle-abort-only", "access-logs"}),
    # short-expiry-under-lock (expiration 31 days, lock 365) and short-expiry-long-noncurrent (31 + 334 days noncurrent,
    # versioned) are in aws_bad and must not be flagged.
    "s3-retention-within-bounds": (
        "aws_good",
        "aws_bad",
        {"retention-too-short", "lock-and-expiry-too-short", "retention-too-long", "lock-too-long", "unversioned-short-expiry"},
    ),
    # bare and access-logs have no BucketPublicAccessBlock: AWS blocks public access on them by default.
    "s3-public-access-block": ("aws_good", "aws_bad", {"pab-partial"}),
    "s3-secure-transport-only": ("aws_good", "aws_bad", {"bare", "no-tls-deny", "access-logs"}),
    "s3-server-access-logging": ("aws_good", "aws_bad", {"bare", "logs-to-itself"}),
    # bare and access-logs set no object ownership: AWS's default is BucketOwnerEnforced.
    "s3-acls-disabled": ("aws_good", "aws_bad", {"public-acl", "acls-enabled"}),
    "gcs-default-cmek": ("gcp_good", "gcp_bad", {"no-cmek", "foreign-key", "key-without-agent-grant"}),
    "gcs-retention-policy-locked": (
        "gcp_good",
        "gcp_bad",
        {"no-retention", "short-retention", "unlocked-retention", "unlocked-archive", "feeds-unlocked-archive"},
    ),
    "gcs-uniform-bucket-level-access": ("gcp_good", "gcp_bad", {"fine-grained-acls"}),
    "gcs-public-access-prevention": ("gcp_good", "gcp_bad", {"public-access-inherited", "public-reader"}),
    "gcs-lifecycle-and-versioning": (
        "gcp_good",
        "gcp_bad",
        {"no-delete-rule", "deletes-too-late", "delete-before-retention", "feeds-unlocked-archive"},
    ),
    "log-store-deletion-protected": ("gcp_good", "aws_bad", {"bare", "force-destroy", "unprotected"}),
    "aws-kms-key-rotation-enabled": ("aws_good", "aws_bad", {"key-no-rotation", "key-long-rotation"}),
    # key-service-principal-with-source-account (root + service principal) is in aws_bad and must not be flagged.
    "aws-kms-key-policy-not-public": ("aws_good", "aws_bad", {"key-public-policy", "key-star-via-service-only"}),
    "aws-kms-key-deletion-window": ("aws_good", "aws_bad", {"key-short-window"}),
    "gcp-kms-key-rotation-period": ("gcp_good", "gcp_bad", {"key-no-rotation", "key-slow-rotation"}),
    "kms-separation-of-duties": ("gcp_good", "gcp_bad", {"key-public-user", "store-key-users"}),
    "backend-iam-least-privilege": ("aws_good", "aws_bad", {"policy-star", "policy-foreign-bucket", "admin-attached"}),
    "irsa-trust-pinned": ("aws_good", "aws_bad", {"irsa-wildcard-subject", "irsa-no-condition"}),
    "gcp-workload-identity-scoped": ("gcp_good", "gcp_bad", {"wi-other-namespace", "wi-any-user", "project-wide-storage", "static-key"}),
    # reported once per project and service, on the first bucket and key by URN
    "gcp-data-access-audit-logs": ("gcp_good", "gcp_bad", {"compliant", "key-no-rotation"}),
    "cloudtrail-s3-data-events": ("aws_good", "aws_bad", {"bare"}),
    "logging-namespace-network-policy": ("k8s_good", "k8s_bad", {"es-http-tls-disabled", "loki-gateway-without-auth"}),
    "collector-backend-tls": (
        "k8s_good",
        "k8s_bad",
        {
            "fluent-bit-plaintext",
            "fluent-bit-no-verify",
            "alloy-plain-http",
            "filebeat-insecure",
            "ingress-without-tls",
            "ingress-partial-tls",
            "fluent-bit-yaml-without-tls",
            "loki-ingress-without-tls",
        },
    ),
    "loki-auth-enabled": ("k8s_good", "k8s_bad", {"loki-auth-disabled", "loki-gateway-without-auth"}),
    "trace-receivers-authenticated": ("k8s_good", "k8s_bad", {"spans-default-config", "spans-in-plaintext", "spans-unauthenticated"}),
    "elastic-security-and-tls": (
        "k8s_good",
        "k8s_bad",
        {"es-http-tls-disabled", "es-security-disabled", "kibana-http-tls-disabled", "eck-stack-http-tls-disabled"},
    ),
    # only collectors' RBAC: operator-escalates, operator-impersonates and operator-binds-admin are rbac-least-privilege's
    "collector-rbac-read-only": (
        "k8s_good",
        "k8s_bad",
        {"collector-wildcard", "reads-secrets", "fluent-bit-writes", "binds-cluster-admin"},
    ),
    # the RBAC of everything that is not a collector; k8s_good's elastic-operator manages Secrets and passes
    "rbac-least-privilege": ("k8s_good", "k8s_bad", {"operator-escalates", "operator-impersonates", "operator-binds-admin"}),
    "no-plaintext-credentials": (
        "k8s_good",
        "k8s_bad",
        {
            "fluent-bit-plaintext",
            "alloy-plain-http",
            "filebeat-insecure",
            "configmap-password",
            "configmap-aws-key",
            "configmap-secret-output",
            "literal-env-secret",
            "literal-beside-secret-mount",
            "configmap-env-secret",
        },
    ),
    "collector-runs-as-non-root": ("k8s_good", "k8s_bad", {"fluent-bit-plaintext", "filebeat-insecure", "privileged-collector"}),
    "collector-and-gap-alert": ("k8s_good", "k8s_bad", {"cluster-without-collector"}),
    "cloudtrail-trail-integrity": ("trail_good", "trail_bad", {"stopped", "unvalidated", "unencrypted", "aws-managed-key"}),
    # `watched` is watched by a rule naming its ARN; the other rules miss (no target, disabled, StopLogging only).
    "cloudtrail-trail-monitored": (
        "trail_good",
        "trail_bad",
        {"stopped", "unvalidated", "unencrypted", "aws-managed-key", "filter-without-alarm"},
    ),
    # aws-key-retained-only: retain_on_delete is not visible to a policy pack, and alone it is not protect.
    "key-deletion-protected": (
        "keys_good",
        "keys_bad",
        {"aws-key-unprotected", "aws-key-retained-only", "ring-unprotected", "gcp-key-unprotected"},
    ),
    "gcp-kms-key-destroy-delay": ("keys_good", "keys_bad", {"destroy-after-1-day", "destroy-delay-not-seconds"}),
    # app-on-host-network (pods_good) runs outside the logging namespaces and is not judged.
    "logging-pods-host-isolated": (
        "pods_good",
        "pods_bad",
        {
            "filebeat-host-namespaces",
            "fluent-bit-host-network",
            "alloy-host-pid",
            "writes-host-logs",
            "mounts-host-etc",
            "es-privileged-init",
            "sidecar-host-ipc",
            "pod-adds-net-admin",
        },
    ),
    # seccomp-on-pod, digest-image and collector-mounts-token (a collector reads pod metadata) are sound.
    "logging-pods-hardened": (
        "pods_good",
        "hardening_bad",
        {"keeps-capabilities", "escalates", "writable-root", "no-seccomp", "latest-image", "untagged-image", "no-requests", "mounts-token"},
    ),
    "logging-namespaces-pod-security": (
        "pods_good",
        "pods_bad",
        {"logging-privileged", "eck-baseline", "collectors-privileged-silent", "loki-in-undeclared-namespace", "kibana-ns"},
    ),
    # fluent-bit-memory-limited (memory with Mem_Buf_Limit) and alloy-wal (Alloy: nothing unbounded to judge) are sound.
    "collector-buffering-bounded": (
        "buffering_good",
        "buffering_bad",
        {
            "fluent-bit-memory-unbounded",
            "fluent-bit-output-unbounded",
            "fluent-bit-split-configmap",
            "fluent-bit-yaml-size-unparsed",
            "fluent-bit-no-storage-path",
            "fluentd-buffer-unbounded",
            "fluentd-buffer-exceeds-volume",
            "logstash-queue-exceeds-claim",
            "logstash-queue-implicit",
            "filebeat-disk-queue-unbounded",
            "filebeat-configmap-no-maximum",
        },
    ),
    "external-log-destination-approved": (
        "datadog_good",
        "datadog_bad",
        {"agent-unapproved-site", "fluent-bit-datadog-expired", "configmap-datadog-unapproved"},
    ),
}
# The policy config a program is analyzed with in this table (default: the pack's defaults).
PROGRAM_CONFIGS = {"datadog_good": DATADOG_APPROVALS, "datadog_bad": DATADOG_APPROVALS}


def test_every_policy_has_a_passing_and_a_failing_case(pack: PolicyPackSpec) -> None:
    # approved-exceptions: tests/policies/test_exceptions.py; log-store-scope: test_the_scope_is_listed below
    # helm-releases-rendered speaks only on the CLI's path, where the pack renders Releases itself: its pass and fail
    # cases are release_renders with and without a chart cache (test_rendered_releases.py)
    tested = set(EXPECTED) | {"approved-exceptions", "log-store-scope", "helm-releases-rendered"}
    assert tested == {p.name for p in pack.policies}


@pytest.mark.parametrize("policy", sorted(EXPECTED))
def test_compliant_program_passes(policy: str, analyze: Callable[..., Analysis]) -> None:
    good, _bad, _names = EXPECTED[policy]
    assert [v.message for v in analyze(good, PROGRAM_CONFIGS.get(good)).violations if v.policy == policy] == []


@pytest.mark.parametrize("policy", sorted(EXPECTED))
def test_flawed_resources_are_flagged(policy: str, analyze: Callable[..., Analysis]) -> None:
    _good, bad, names = EXPECTED[policy]
    assert flagged(analyze(bad, PROGRAM_CONFIGS.get(bad)), policy) == names


def test_compliant_programs_have_no_findings_at_all(analyze: Callable[..., Analysis]) -> None:
    for program in ("aws_good", "gcp_good", "k8s_good"):
        assert [(v.policy, v.urn, v.message) for v in analyze(program).findings] == []


def test_levels_and_severity_reach_the_report(analyze: Callable[..., Analysis]) -> None:
    by_policy = {v.policy: v for v in analyze("k8s_bad").violations}
    assert by_policy["collector-runs-as-non-root"].enforcement == "advisory"
    assert analyze("hardening_bad").violations and {
        v.enforcement for v in analyze("hardening_bad").violations if v.policy == "logging-pods-hardened"
    } == {"advisory"}
    assert by_policy["no-plaintext-credentials"].enforcement == "mandatory"
    assert by_policy["no-plaintext-credentials"].severity == "critical"
    assert by_policy["no-plaintext-credentials"].soc2 == ["CC6.1", "CC6.7"]


def test_the_scope_is_listed(analyze: Callable[..., Analysis]) -> None:
    """log-store-scope names each log store with why; preflight lists them as scope, not as findings."""
    scope = {v.urn.rsplit("::", 1)[-1]: v.message for v in analyze("aws_good").scope}
    assert scope == {
        "archive": "in scope: marked logmesh:log-store=true",
        "inline": "in scope: marked logmesh:log-store=true",
        "access-logs": "in scope: receives S3 server access logs (inline)",
    }
    assert not [v for v in analyze("aws_good").findings if v.policy == "log-store-scope"]
    assert analyze("peer_website").scope == []
    widened = analyze("peer_website", {"log-store-scope": {"scope": "all"}})
    assert [v.urn.rsplit("::", 1)[-1] for v in widened.scope] == ["site"]
