"""Kubernetes rules: network policy (26), TLS (27), Loki auth (28), Elasticsearch/Kibana security (29),
collector RBAC (30), plaintext credentials (31) and root collectors.

Resources are judged however they are written: Helm releases of the upstream charts (values as given,
including Fluent Bit's classic-format config strings and Alloy's config), raw Kubernetes objects and ECK
custom resources. Values files given as assets (`value_yaml_files`) are not visible to a policy pack.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from pulumi_policy import EnforcementLevel, PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from policies.common import (
    Check,
    Deferred,
    Report,
    as_list,
    bool_setting,
    falsy,
    get,
    is_list,
    known,
    number,
    plain,
    provider_key,
    resource_policy,
    stack_policy,
    truthy,
)

HELM_TYPES = ("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
ES = "kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch"
KIBANA = "kubernetes:kibana.k8s.elastic.co/v1:Kibana"
BEAT = "kubernetes:beat.k8s.elastic.co/v1beta1:Beat"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
ROLE_TYPES = ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "kubernetes:rbac.authorization.k8s.io/v1:Role")
BINDING_TYPES = ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
WORKLOAD_TYPES = {
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:Deployment": ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "kubernetes:core/v1:Pod": ("spec",),
}
COLLECTOR_CHARTS = {"fluent-bit": "fluent-bit", "alloy": "alloy"}
COLLECTOR_WORDS = ("fluent-bit", "fluentbit", "fluentd", "alloy", "filebeat", "vector", "promtail", "otel", "collector")
_DOMAIN = "kubernetes"


# --- what a resource is ---------------------------------------------------------------------------------------

def as_resource(args: ResourceValidationArgs) -> PolicyResource:
    """The same view of a resource in resource and stack policies, so helpers serve both."""
    return PolicyResource(args.resource_type, args.props, args.urn, args.name, args.opts, args.provider, None, [], {})


def chart_of(resource: PolicyResource) -> str:
    """The chart name of a Helm release ('loki', 'fluent-bit', 'alloy', 'eck-operator', 'eck-stack'...), or ''."""
    if resource.resource_type not in HELM_TYPES:
        return ""
    chart = str(known(resource.props, "chart") or "")
    return chart.rstrip("/").rsplit("/", 1)[-1].lower()


def values_of(resource: PolicyResource) -> Mapping[str, Any]:
    values = get(resource.props, "values")
    return values if isinstance(values, Mapping) else {}


def namespace_of(resource: PolicyResource) -> str:
    if resource.resource_type in HELM_TYPES:
        return str(known(resource.props, "namespace") or "default")
    return str(known(resource.props, "metadata", "namespace") or "default")


def name_of(resource: PolicyResource) -> str:
    return str(known(resource.props, "metadata", "name") or known(resource.props, "name") or resource.name)


def is_collector(resource: PolicyResource) -> bool:
    """A log collector: a Fluent Bit or Alloy release, an ECK Beat, or a DaemonSet running a collector image."""
    if chart_of(resource) in COLLECTOR_CHARTS or resource.resource_type == BEAT:
        return True
    if resource.resource_type == "kubernetes:apps/v1:DaemonSet":
        images = [str(known(c, "image") or "") for c in as_list(known(resource.props, "spec", "template", "spec", "containers"))]
        return any(word in image for image in images for word in COLLECTOR_WORDS)
    return False


# --- Fluent Bit classic configuration ---------------------------------------------------------------------------

def fluent_bit_sections(text: str) -> list[tuple[str, dict[str, str]]]:
    """Sections of a classic-format Fluent Bit config: [(SECTION, {lower-cased key: value})]."""
    sections: list[tuple[str, dict[str, str]]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        header = re.fullmatch(r"\[([A-Za-z_]+)\]", line)
        if header:
            sections.append((header.group(1).upper(), {}))
            continue
        if sections:
            # Fluent Bit separates a key from its value by any run of spaces or tabs.
            key, *value = line.split(None, 1)
            sections[-1][1][key.lower()] = value[0].strip() if value else ""
    return sections


NETWORK_OUTPUTS = {"loki", "es", "elasticsearch", "opensearch", "http", "forward", "splunk", "datadog", "kafka", "syslog"}


def fluent_bit_tls_problems(text: str) -> list[str]:
    problems = []
    for section, entries in fluent_bit_sections(text):
        if section != "OUTPUT":
            continue
        plugin = entries.get("name", "").lower()
        if plugin not in NETWORK_OUTPUTS:
            continue
        label = f"output {plugin} ({entries.get('host', 'default host')})"
        if not truthy(entries.get("tls", "off")):
            problems.append(f"{label} does not use TLS (tls On)")
        elif falsy(entries.get("tls.verify", "on")):
            problems.append(f"{label} turns off certificate verification (tls.verify Off)")
    return problems


def fluent_bit_yaml_tls_problems(text: str) -> list[str]:
    """The same checks for Fluent Bit's YAML configuration format (`pipeline: outputs: [...]`)."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    outputs = get(document, "pipeline", "outputs") if isinstance(document, dict) else None
    problems = []
    for output in as_list(outputs):
        if not isinstance(output, dict) or str(output.get("name", "")).lower() not in NETWORK_OUTPUTS:
            continue
        entries = {str(k).lower(): str(v) for k, v in output.items()}
        label = f"output {entries['name']} ({entries.get('host', 'default host')})"
        if not truthy(entries.get("tls", "off")):
            problems.append(f"{label} does not use TLS (tls: on)")
        elif falsy(entries.get("tls.verify", "on")):
            problems.append(f"{label} turns off certificate verification (tls.verify: off)")
    return problems


def collector_config_tls_problems(text: str) -> list[str]:
    """TLS problems of a collector configuration string in any of the formats logmesh's collectors use."""
    problems: list[str] = []
    if "[OUTPUT]" in text.upper():
        problems += fluent_bit_tls_problems(text)
    if "pipeline:" in text:
        problems += fluent_bit_yaml_tls_problems(text)
    if "loki.write" in text:
        problems += alloy_tls_problems(text)
    return problems


def alloy_tls_problems(text: str) -> list[str]:
    problems = [f"Alloy endpoint {url} is not https" for url in re.findall(r'url\s*=\s*"(http://[^"]+)"', text)]
    if re.search(r"insecure_skip_verify\s*=\s*true", text):
        problems.append("Alloy tls_config sets insecure_skip_verify = true")
    return problems


def string_leaves(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, string) for every string leaf of a values tree."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for k in value:
            yield from string_leaves(value[k], f"{path}.{k}" if path else str(k))
    elif is_list(value):
        for i, v in enumerate(value):
            yield from string_leaves(v, f"{path}[{i}]")


# --- rule 26 ----------------------------------------------------------------------------------------------------

def backend_namespaces(resources: list[PolicyResource]) -> dict[tuple[str, str], PolicyResource]:
    """(cluster provider, namespace) -> a resource that runs a log backend there."""
    found: dict[tuple[str, str], PolicyResource] = {}
    for r in sorted(resources, key=lambda r: r.urn):
        if chart_of(r) in ("loki", "eck-elasticsearch", "eck-stack", "elasticsearch", "eck-kibana") or r.resource_type in (ES, KIBANA):
            found.setdefault((provider_key(r), namespace_of(r)), r)
    return found


def _namespace_or_unknown(resource: PolicyResource) -> None:
    """Raises the analyzer's UnknownValueError when the resource's namespace is unknown (a preview)."""
    get(resource.props, *(("namespace",) if resource.resource_type in HELM_TYPES else ("metadata", "namespace")))


def _empty_selector(selector: Any) -> bool:
    return not known(selector, "matchLabels") and not known(selector, "matchExpressions")


@stack_policy(
    name="logging-namespace-network-policy",
    description="Every namespace that runs a log backend (Loki, Elasticsearch, Kibana) has a default-deny ingress "
                "NetworkPolicy and a policy that admits collectors by namespace or pod selector.",
    criteria=("CC6.1", "CC6.6", "CC7.2"),
    anchors="Kubescape C-0260; Kyverno require-netpol",
    severity=Severity.HIGH,
    remediation="Add a NetworkPolicy with podSelector {} and policyTypes [Ingress] (no rules) in the backend namespace, and "
                "one allowing ingress from the collectors' namespace (namespaceSelector) to the backend's push port.",
    domain=_DOMAIN,
)
def logging_namespace_network_policy(args: StackValidationArgs, report: Report, check: Check) -> None:
    resources = list(args.resources)
    policies: dict[tuple[str, str], list[PolicyResource]] = {}
    # A namespace unknown in a preview is no namespace yet: joining it as "default" would pass or fail by chance.
    unknown_namespaces: dict[str, UnknownValueError] = {}
    for r in resources:
        if r.resource_type == NETWORK_POLICY:
            try:
                _namespace_or_unknown(r)
            except UnknownValueError as error:
                unknown_namespaces.setdefault(provider_key(r), error)
                continue
            policies.setdefault((provider_key(r), namespace_of(r)), []).append(r)
    deferred = Deferred()
    for (cluster, namespace), backend in backend_namespaces(resources).items():
        with deferred.each():
            _namespace_or_unknown(backend)
            present = policies.get((cluster, namespace), [])
            deny = any(
                _empty_selector(get(p.props, "spec", "podSelector"))
                and "Ingress" in [str(t) for t in as_list(get(p.props, "spec", "policyTypes"))]
                and not as_list(get(p.props, "spec", "ingress"))
                for p in present
            )
            admits = any(
                any(known(peer, "namespaceSelector") is not None or known(peer, "podSelector") is not None
                    for rule in as_list(get(p.props, "spec", "ingress")) for peer in as_list(get(rule, "from")))
                for p in present
            )
            if not (deny and admits) and cluster in unknown_namespaces:
                raise unknown_namespaces[cluster]
            if not deny:
                report(f"namespace {namespace} (backend {backend.name}) has no default-deny ingress NetworkPolicy", backend.urn)
            if not admits:
                report(f"namespace {namespace} (backend {backend.name}) has no NetworkPolicy admitting collectors by selector", backend.urn)
    deferred.finish()


# --- rule 27 ----------------------------------------------------------------------------------------------------

def _tls_problems(resource: PolicyResource) -> list[str]:
    chart, props, t = chart_of(resource), resource.props, resource.resource_type
    problems: list[str] = []
    if chart in COLLECTOR_CHARTS:
        for _path, text in string_leaves(values_of(resource)):
            problems += collector_config_tls_problems(text)
    elif chart == "loki":
        ingress = get(values_of(resource), "gateway", "ingress")
        if truthy(get(ingress, "enabled")) and not as_list(get(ingress, "tls")):
            problems.append("the Loki gateway ingress has no tls section")
    elif t == CONFIG_MAP:
        for key, text in (get(props, "data") or {}).items():
            if isinstance(text, str):
                problems += [f"{key}: {p}" for p in collector_config_tls_problems(text)]
    elif t == BEAT:
        if get(props, "spec", "elasticsearchRef") is None:
            output = get(props, "spec", "config", "output", "elasticsearch") or {}
            hosts = [str(h) for h in as_list(get(output, "hosts"))]
            problems += [f"Beat output host {h} is not https" for h in hosts if not h.startswith("https://")]
            if str(get(output, "ssl", "verification_mode") or get(output, "ssl.verification_mode") or "") == "none":
                problems.append("Beat output turns off certificate verification")
    elif t == INGRESS:
        served = {str(get(rule, "host")) for rule in as_list(get(props, "spec", "rules")) if get(rule, "host")}
        covered = {str(h) for tls in as_list(get(props, "spec", "tls")) for h in as_list(get(tls, "hosts"))}
        if not as_list(get(props, "spec", "tls")):
            problems.append("the Ingress has no tls section")
        elif served - covered:
            problems.append(f"the Ingress serves {', '.join(sorted(served - covered))} without TLS")
    return problems


@resource_policy(
    name="collector-backend-tls",
    description="Collectors ship to backends over TLS with certificate verification (Fluent Bit outputs, Alloy "
                "loki.write endpoints, Beat outputs), and Ingresses to log backends terminate TLS for every host.",
    criteria=("CC6.1", "CC6.6", "CC6.7"),
    anchors="Kubescape C-0263",
    severity=Severity.HIGH,
    remediation="Fluent Bit: 'tls On', 'tls.verify On', 'tls.ca_file <backend CA>'; Alloy: https:// URLs with tls_config "
                "{ ca_file }; Ingress: spec.tls covering every host.",
    domain=_DOMAIN,
    types=(*HELM_TYPES, CONFIG_MAP, BEAT, INGRESS),
)
def collector_backend_tls(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    resource = as_resource(args)
    for problem in _tls_problems(resource):
        report(problem)


# --- rule 28 ----------------------------------------------------------------------------------------------------

@resource_policy(
    name="loki-auth-enabled",
    description="Loki releases keep multi-tenancy auth on (loki.auth_enabled, the chart's default) and are reached "
                "through the chart's gateway with basic auth on (unless require_gateway_basic_auth is false).",
    criteria=("CC6.1", "CC6.3"),
    anchors="logmesh (no public anchor)",
    severity=Severity.HIGH,
    remediation="Leave loki.auth_enabled true, keep gateway.enabled and set gateway.basicAuth.enabled true with an "
                "existingSecret holding the htpasswd.",
    domain=_DOMAIN,
    types=HELM_TYPES,
    settings={"require_gateway_basic_auth": bool_setting(True, "Require the chart gateway's basic auth.")},
)
def loki_auth_enabled(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    resource = as_resource(args)
    if chart_of(resource) != "loki":
        return
    values = values_of(resource)
    # The chart renders loki.structuredConfig over the config built from loki.auth_enabled, so it wins.
    structured = get(values, "loki", "structuredConfig", "auth_enabled")
    path, auth = ("loki.structuredConfig.auth_enabled", structured) if structured is not None else (
        "loki.auth_enabled", get(values, "loki", "auth_enabled"))
    if falsy(auth):
        report(f"{path} is false: every client writes and reads the single 'fake' tenant")
    if check.settings["require_gateway_basic_auth"]:
        if falsy(get(values, "gateway", "enabled")):
            report("gateway.enabled is false: Loki is reached without the authenticating gateway")
        elif not truthy(get(values, "gateway", "basicAuth", "enabled")):
            report("gateway.basicAuth.enabled is not true: the gateway does not authenticate clients")


# --- rule 29 ----------------------------------------------------------------------------------------------------

def _flat_or_nested(config: Any, dotted: str) -> Any:
    """A setting however Elasticsearch/Kibana YAML spells it: `a.b.c`, `a: {b: {c}}` or any mix (`a: {b.c}`)."""
    if not isinstance(config, Mapping):
        return None
    if dotted in config:
        return config[dotted]
    parts = dotted.split(".")
    for cut in range(1, len(parts)):
        head = ".".join(parts[:cut])
        if head in config:
            found = _flat_or_nested(config[head], ".".join(parts[cut:]))
            if found is not None:
                return found
    return None


def _elastic_problems(kind: str, spec: Any) -> list[str]:
    problems = []
    if truthy(get(spec, "http", "tls", "selfSignedCertificate", "disabled")) and not get(spec, "http", "tls", "certificate", "secretName"):
        problems.append(f"{kind} HTTP TLS is disabled (http.tls.selfSignedCertificate.disabled without a certificate)")
    configs = [get(n, "config") for n in as_list(get(spec, "nodeSets"))] if kind == "Elasticsearch" else [get(spec, "config")]
    for config in configs:
        for setting in ("xpack.security.enabled", "xpack.security.http.ssl.enabled"):
            if falsy(_flat_or_nested(config, setting)):
                problems.append(f"{kind} config sets {setting}: false")
    return problems


@resource_policy(
    name="elastic-security-and-tls",
    description="Elasticsearch and Kibana (ECK resources or the eck-elasticsearch/eck-kibana/eck-stack charts) keep "
                "security and HTTP TLS on (ECK's defaults).",
    criteria=("CC6.1", "CC6.7"),
    anchors="AWS Config OPENSEARCH_HTTPS_REQUIRED (managed only)",
    severity=Severity.HIGH,
    remediation="Remove http.tls.selfSignedCertificate.disabled (or provide http.tls.certificate.secretName) and "
                "any xpack.security.enabled: false.",
    domain=_DOMAIN,
    types=(*HELM_TYPES, ES, KIBANA),
)
def elastic_security(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    resource = as_resource(args)
    chart = chart_of(resource)
    problems: list[str] = []
    if args.resource_type == ES:
        problems = _elastic_problems("Elasticsearch", get(args.props, "spec"))
    elif args.resource_type == KIBANA:
        problems = _elastic_problems("Kibana", get(args.props, "spec"))
    elif chart in ("eck-elasticsearch", "eck-kibana"):
        problems = _elastic_problems("Elasticsearch" if chart == "eck-elasticsearch" else "Kibana", values_of(resource))
    elif chart == "eck-stack":
        values = values_of(resource)
        problems = _elastic_problems("Elasticsearch", get(values, "eck-elasticsearch"))
        problems += _elastic_problems("Kibana", get(values, "eck-kibana"))
    for problem in problems:
        report(problem)


# --- rule 30 ----------------------------------------------------------------------------------------------------

READ_VERBS = {"get", "list", "watch"}
ADMIN_ROLES = {"cluster-admin", "admin", "edit"}


def _looks_like_collector(resource: PolicyResource) -> bool:
    labels = known(resource.props, "metadata", "labels") or {}
    text = " ".join([name_of(resource), resource.name, *[str(v) for v in (plain(labels) or {}).values()]]).lower()
    return any(word in text for word in COLLECTOR_WORDS)


@resource_policy(
    name="collector-rbac-read-only",
    description="Kubernetes RBAC in the stack grants no wildcard verbs, resources or API groups and no access to "
                "Secrets; no binding grants cluster-admin, admin or edit; collector roles are read-only (get, list, watch).",
    criteria=("CC6.1", "CC6.2", "CC6.8"),
    anchors="Kubescape C-0035, C-0186; kube-bench 5.1.1-5.1.3",
    severity=Severity.HIGH,
    remediation="List exact resources (pods, namespaces, nodes) and verbs get/list/watch; read credentials from a "
                "Secret mounted into the pod instead of granting Secret access.",
    domain=_DOMAIN,
    types=(*ROLE_TYPES, *BINDING_TYPES),
)
def collector_rbac(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    if args.resource_type in BINDING_TYPES:
        role = get(args.props, "roleRef", "name")
        if role in ADMIN_ROLES:
            report(f"binds the built-in {role} role")
        return
    resource = as_resource(args)
    collector = _looks_like_collector(resource)
    for index, rule in enumerate(as_list(get(args.props, "rules"))):
        verbs = [str(v) for v in as_list(get(rule, "verbs"))]
        resources = [str(v) for v in as_list(get(rule, "resources"))]
        groups = [str(v) for v in as_list(get(rule, "apiGroups"))]
        if "*" in verbs or "*" in resources or "*" in groups:
            report(f"rule {index} uses a wildcard (verbs {verbs}, resources {resources}, apiGroups {groups})")
        if "secrets" in resources:
            report(f"rule {index} grants access to secrets")
        if collector and set(verbs) - READ_VERBS - {"*"}:
            report(f"rule {index} lets a collector {', '.join(sorted(set(verbs) - READ_VERBS))}")


# --- rule 31 ----------------------------------------------------------------------------------------------------

CREDENTIAL_NAME = re.compile(r"(?i)(passw(or)?d|passwd|secret|token|api[_-]?key|access[_-]?key|credential|private[_-]?key)")
_LITERAL_PATTERNS = (
    # Fluent Bit classic: `HTTP_Passwd value` (a ${VAR} reference is fine)
    re.compile(r"(?im)^\s*(http_passwd|passwd|password|http_api_key|api_key|aws_secret_access_key|cloud_auth|token)\s+(?!\$\{)(\S+)\s*$"),
    # Alloy / HCL: `password = "value"` (sys.env(...) or remote.kubernetes.secret references are fine)
    re.compile(r'(?i)\b(password|api_key|bearer_token|secret_access_key|token)\s*=\s*"([^"$][^"]*)"'),
    # YAML: `password: value` (a ${VAR} reference is fine)
    re.compile(r"(?im)^\s*([a-z_.]*(?:password|passwd|secret_access_key|api_key))\s*:\s*(?![\"']?\$\{)(?![\"']?\s*$)([^\s#]+)"),
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


def _env_literals(env: Any) -> list[str]:
    return [str(get(e, "name")) for e in as_list(env)
            if CREDENTIAL_NAME.search(str(get(e, "name") or "")) and get(e, "value") not in (None, "") and get(e, "valueFrom") is None]


def _pod_spec_problems(spec: Any) -> list[str]:
    problems = []
    for container in as_list(get(spec, "containers")) + as_list(get(spec, "initContainers")):
        for name in _env_literals(get(container, "env")):
            problems.append(f"container {get(container, 'name')} sets {name} as a literal env value")
    return problems


@dataclass
class _Finding:
    where: str
    what: str


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
    elif chart_of(resource):
        values = values_of(resource)
        for path, text in string_leaves(values):
            if "\n" in text:
                found += [_Finding(f"values.{path}", w) for w in plaintext_credentials(text)]
        for env_path in (("env",), ("extraEnv",), ("alloy", "extraEnv"), ("loki", "extraEnv")):
            where = "values." + ".".join(env_path)
            found += [_Finding(where, f"{n} as a literal env value") for n in _env_literals(get(values, *env_path))]
        for key in ("accessKeyId", "secretAccessKey"):
            if get(values, "loki", "storage", "s3", key):
                found.append(_Finding(f"values.loki.storage.s3.{key}", "static AWS credentials (use IRSA)"))
    return found


@resource_policy(
    name="no-plaintext-credentials",
    description="No credentials in plain text in Kubernetes objects or collector/backend configuration: ConfigMaps, "
                "pod env values, Helm values config strings (Fluent Bit HTTP_Passwd, Alloy password = \"...\"), static "
                "cloud keys. Credentials belong in Secrets, referenced through env valueFrom or ${VAR}.",
    criteria=("CC6.1", "CC6.7"),
    anchors="Kubescape C-0012",
    severity=Severity.CRITICAL,
    remediation="Put the credential in a Kubernetes Secret; reference it with env valueFrom.secretKeyRef and ${VAR} "
                "(Fluent Bit) or sys.env(\"VAR\") (Alloy); use workload identity instead of static cloud keys.",
    domain=_DOMAIN,
    types=(CONFIG_MAP, BEAT, *WORKLOAD_TYPES, *HELM_TYPES),
)
def no_plaintext_credentials(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    resource = as_resource(args)
    for finding in _credential_findings(resource):
        report(f"{finding.where}: {finding.what}")


# --- collectors running as root -----------------------------------------------------------------------------------

def _runs_as_root(pod_security: Any, containers: list[Any]) -> str | None:
    def non_root(ctx: Any) -> bool | None:
        if truthy(get(ctx, "privileged")):
            return False
        user = get(ctx, "runAsUser")
        if user is not None:
            uid = number(user)  # Helm values are untyped: a template string is no proof of a non-root user
            return uid is not None and uid != 0
        if truthy(get(ctx, "runAsNonRoot")):
            return True
        return None

    pod = non_root(pod_security)
    for container in containers:
        own = non_root(get(container, "securityContext"))
        if truthy(get(container, "securityContext", "privileged")):
            return f"container {get(container, 'name')} is privileged"
        if (own if own is not None else pod) is not True:
            return f"container {get(container, 'name') or 'collector'} may run as root (no runAsNonRoot or non-zero runAsUser)"
    return None


@resource_policy(
    name="collector-runs-as-non-root",
    description="Collectors run as non-root and unprivileged. Collectors reading the host's /var/log usually must run "
                "as root: that needs a documented exception (policy config), not a silent pass. Advisory unless the "
                "environment's config makes it mandatory. Charts run as root unless their values say otherwise.",
    criteria=("CC6.8", "CC6.1"),
    anchors="Kubescape C-0013 (non-root containers), C-0057 (privileged)",
    severity=Severity.MEDIUM,
    remediation="Set securityContext runAsNonRoot/runAsUser (with a readable log path), or record an exception with "
                "reason, approver and expiry in the policy config.",
    domain=_DOMAIN,
    types=("kubernetes:apps/v1:DaemonSet", BEAT, *HELM_TYPES),
    enforcement_level=EnforcementLevel.ADVISORY,
)
def collector_non_root(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    resource = as_resource(args)
    if not is_collector(resource):
        return
    chart = chart_of(resource)
    if chart == "fluent-bit":
        values = values_of(resource)
        container = {"name": "fluent-bit", "securityContext": get(values, "securityContext")}
        problem = _runs_as_root(get(values, "podSecurityContext"), [container])
    elif chart == "alloy":
        values = values_of(resource)
        problem = _runs_as_root(get(values, "controller", "podSecurityContext"),
                                [{"name": "alloy", "securityContext": get(values, "alloy", "securityContext")}])
    elif args.resource_type == BEAT:
        spec = get(args.props, "spec", "daemonSet", "podTemplate", "spec") or get(args.props, "spec", "deployment", "podTemplate", "spec")
        problem = _runs_as_root(get(spec, "securityContext"), as_list(get(spec, "containers")) or [{"name": "beat"}])
    else:
        spec = get(args.props, "spec", "template", "spec")
        problem = _runs_as_root(get(spec, "securityContext"), as_list(get(spec, "containers")))
    if problem:
        report(problem)


POLICIES = [
    logging_namespace_network_policy,
    collector_backend_tls,
    loki_auth_enabled,
    elastic_security,
    collector_rbac,
    no_plaintext_credentials,
    collector_non_root,
]
