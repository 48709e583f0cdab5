from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity

from policies.framework import Check, Report, resource_policy
from policies.lib.kubernetes import as_resource, chart_of, string_leaves, values_of
from policies.lib.types import BEAT, CONFIG_MAP, DATADOG_AGENT, HELM_TYPES, LOGSTASH, WORKLOAD_TYPES
from policies.lib.values import as_list, get

CREDENTIAL_NAME = re.compile(r"(?i)(passw(or)?d|passwd|secret|token|api[_-]?key|access[_-]?key|credential|private[_-]?key)")


_LITERAL_PATTERNS = (
    # Fluent Bit classic and Fluentd: `HTTP_Passwd value`, `shared_key value` (a ${VAR} or "#{ENV['VAR']}" reference is fine)
    re.compile(
        r"(?im)^\s*(http_passwd|passwd|password|shared_key|http_api_key|api_key|apikey|aws_secret_access_key|cloud_auth|token)"
        r"\s+(?!\$\{)(?!\"?#\{ENV\[)(\S+)\s*$"
    ),
    # Alloy / HCL: `password = "value"` (sys.env(...) or remote.kubernetes.secret references are fine)
    re.compile(r'(?i)\b(password|api_key|bearer_token|secret_access_key|token)\s*=\s*"([^"$][^"]*)"'),
    # Logstash pipelines: `password => "value"` (a "${VAR}" reference, from the keystore or the environment, is fine)
    re.compile(
        r'(?im)^\s*(password|api_key|cloud_auth|ssl_key_passphrase|ssl_keystore_password|ssl_truststore_password)\s*=>\s*"(?!\$\{)([^"]+)"'
    ),
    # YAML: `password: value` (a ${VAR} reference is fine)
    re.compile(r"(?im)^\s*([a-z_.]*(?:password|passwd|secret_access_key|api_key|apikey))\s*:\s*(?![\"']?\$\{)(?![\"']?\s*$)([^\s#]+)"),
)


AWS_ACCESS_KEY = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")
PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")


def plaintext_credentials(text: str) -> list[str]:
    found = [m.group(1) for pattern in _LITERAL_PATTERNS for m in pattern.finditer(text)]
    if AWS_ACCESS_KEY.search(text):
        found.append("an AWS access key id")
    if PRIVATE_KEY.search(text):
        found.append("a private key")
    return found


# A Kubernetes object name (DNS-1123 subdomain), as a Secret's name is.
OBJECT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


def secret_names(spec: Any) -> set[str]:
    """The Secrets a pod spec mounts (secret and projected volumes) or reads (secretKeyRef, envFrom secretRef)."""
    names = set()
    for volume in as_list(get(spec, "volumes")):
        names.add(str(get(volume, "secret", "secretName") or ""))
        names |= {str(get(s, "secret", "name") or "") for s in as_list(get(volume, "projected", "sources"))}
    for container in as_list(get(spec, "containers")) + as_list(get(spec, "initContainers")):
        names |= {str(get(e, "valueFrom", "secretKeyRef", "name") or "") for e in as_list(get(container, "env"))}
        names |= {str(get(e, "secretRef", "name") or "") for e in as_list(get(container, "envFrom"))}
    return {n for n in names if OBJECT_NAME.match(n)}


def _env_credentials(env: Any, references: Collection[str] = ()) -> list[str]:
    """Credential-named env entries that do not come from a Secret: a literal value, or a ConfigMap key. A literal
    naming a Secret the pod itself mounts or reads (`references`) is that Secret's name, not a credential (the
    ECK operator's WEBHOOK_SECRET)."""
    found = []
    for e in as_list(env):
        name = str(get(e, "name") or "")
        if not CREDENTIAL_NAME.search(name):
            continue
        value = get(e, "value")
        if get(e, "valueFrom") is None and value not in (None, "") and str(value) not in references:
            found.append(f"{name} as a literal env value")
        elif get(e, "valueFrom", "configMapKeyRef") is not None:
            found.append(f"{name} from a ConfigMap (configMapKeyRef; a ConfigMap is plain text)")
    return found


def _pod_spec_problems(spec: Any) -> list[str]:
    problems, references = [], secret_names(spec)
    for container in as_list(get(spec, "containers")) + as_list(get(spec, "initContainers")):
        for what in _env_credentials(get(container, "env"), references):
            problems.append(f"container {get(container, 'name')} sets {what}")
    return problems


@dataclass
class _Finding:
    where: str
    what: str


# Where vendor agents take a credential inline; each has an existing-Secret alternative.
DATADOG_CHART_KEYS = (("datadog", "apiKey"), ("datadog", "appKey"), ("clusterAgent", "token"))
DATADOG_AGENT_KEYS = (("spec", "global", "credentials", "apiKey"), ("spec", "global", "credentials", "appKey"))


def _inline(props: Any, paths: tuple[tuple[str, ...], ...], prefix: str) -> list[_Finding]:
    return [
        _Finding(prefix + ".".join(path), "a literal credential (use an existing Secret)")
        for path in paths
        if isinstance(get(props, *path), str) and get(props, *path)
    ]


def _credential_findings(resource: PolicyResource) -> list[_Finding]:
    t, props = resource.resource_type, resource.props
    found: list[_Finding] = []
    if t == CONFIG_MAP:
        for key, text in (get(props, "data") or {}).items():
            found += [_Finding(f"data.{key}", w) for w in plaintext_credentials(str(text))]
    elif t in WORKLOAD_TYPES:
        found += [_Finding("pod spec", p) for p in _pod_spec_problems(get(props, *WORKLOAD_TYPES[t]))]
    elif t == BEAT:
        found += [_Finding("podTemplate", p) for p in _pod_spec_problems(get(props, "spec", "daemonSet", "podTemplate", "spec"))]
        config = get(props, "spec", "config")
        found += [_Finding("spec.config", w) for _p, text in string_leaves(config) for w in plaintext_credentials(text)]
        for path, text in string_leaves(get(props, "spec", "config")):
            if CREDENTIAL_NAME.search(path.rsplit(".", 1)[-1]) and text and not text.startswith("${"):
                found.append(_Finding(f"spec.config.{path}", "a literal credential"))
    elif t == LOGSTASH:
        found += [_Finding("podTemplate", p) for p in _pod_spec_problems(get(props, "spec", "podTemplate", "spec"))]
        for i, pipeline in enumerate(as_list(get(props, "spec", "pipelines"))):
            text = str(get(pipeline, "config.string") or "")
            found += [_Finding(f"spec.pipelines[{i}]", w) for w in plaintext_credentials(text)]
    elif t == DATADOG_AGENT:
        found += _inline(props, DATADOG_AGENT_KEYS, "")
    elif chart_of(resource):
        values = values_of(resource)
        if chart_of(resource) == "datadog":
            found += _inline(values, DATADOG_CHART_KEYS, "values.")
        for path, text in string_leaves(values):
            if "\n" in text:
                found += [_Finding(f"values.{path}", w) for w in plaintext_credentials(text)]
        for env_path in (("env",), ("extraEnv",), ("alloy", "extraEnv"), ("loki", "extraEnv")):
            where = "values." + ".".join(env_path)
            found += [_Finding(where, what) for what in _env_credentials(get(values, *env_path))]
        for key in ("accessKeyId", "secretAccessKey"):
            if get(values, "loki", "storage", "s3", key):
                found.append(_Finding(f"values.loki.storage.s3.{key}", "static AWS credentials (use IRSA)"))
    return found


@resource_policy(
    name="no-plaintext-credentials",
    description="No credentials in plain text in Kubernetes objects or collector/backend configuration: ConfigMaps, pod env "
    'values and env from ConfigMaps, Helm values config strings (Fluent Bit HTTP_Passwd and apikey, Alloy password = "..."), '
    "inline API keys of vendor agents, static cloud keys.",
    criteria=("CC6.1", "CC6.7"),
    anchors="Kubescape C-0012",
    severity=Severity.CRITICAL,
    remediation="Put the credential in a Kubernetes Secret; mount it as a file, or reference it with env valueFrom.secretKeyRef and ${VAR} "
    '(Fluent Bit) or sys.env("VAR") (Alloy); use workload identity instead of static cloud keys.',
    domain="kubernetes",
    types=(CONFIG_MAP, BEAT, LOGSTASH, DATADOG_AGENT, *WORKLOAD_TYPES, *HELM_TYPES),
)
def no_plaintext_credentials(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    """Credentials reach containers only from Secrets: a mounted Secret volume, or env valueFrom.secretKeyRef read
    through ${VAR} (docs/policy-pack.md, "Credentials in containers")."""
    resource = as_resource(args)
    for finding in _credential_findings(resource):
        report(f"{finding.where}: {finding.what}")
