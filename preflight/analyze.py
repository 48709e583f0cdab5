"""Analyze stage: drive a policy pack through pulumi_policy's own analyzer servicer.

The servicer is what `pulumi preview --policy-pack` talks to over gRPC; calling it in-process with the
same protobuf messages (Configure, Analyze per resource, AnalyzeStack once) gives the same enforcement
levels, config handling and preview-unknown behaviour as the CLI. Its class is private to
pulumi-policy, which is pinned; tests/preflight/test_preflight_policy_api.py guards the surface used here.
"""

from __future__ import annotations

import json
import re
import runpy
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi_policy
import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, Policy
from pulumi_policy import policy as policy_module
from pulumi_policy.policy import _PolicyAnalyzerServicer

from preflight.errors import InputError
from preflight.record.recording import Recording, Registration
from preflight.secrets import RESOURCE_SIG, SIG_KEY

SOC2_CRITERION = re.compile(r"^(CC|A|C|PI|P)[0-9]+\.[0-9]+$")
_LEVELS = {
    "advisory": EnforcementLevel.ADVISORY,
    "mandatory": EnforcementLevel.MANDATORY,
    "remediate": EnforcementLevel.REMEDIATE,
    "disabled": EnforcementLevel.DISABLED,
}
_PROTO_LEVELS = {
    EnforcementLevel.ADVISORY: analyzer_pb2.ADVISORY,
    EnforcementLevel.MANDATORY: analyzer_pb2.MANDATORY,
    EnforcementLevel.REMEDIATE: analyzer_pb2.REMEDIATE,
    EnforcementLevel.DISABLED: analyzer_pb2.DISABLED,
}
_LEVEL_NAMES = {analyzer_pb2.ADVISORY: "advisory", analyzer_pb2.MANDATORY: "mandatory", analyzer_pb2.REMEDIATE: "mandatory"}
_SEVERITY_NAMES = {
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}


@dataclass
class PolicyPackSpec:
    """What a pack's `__main__.py` passes to `PolicyPack(...)`, captured without serving it."""

    name: str
    version: str
    policies: list[Policy]
    enforcement_level: EnforcementLevel
    initial_config: dict[str, Any] | None
    directory: Path

    def policy(self, name: str) -> Policy:
        return next(p for p in self.policies if p.name == name)


def criteria_of(policy: Policy) -> list[str]:
    """SOC 2 criteria a policy names: `framework.reference` ("CC6.1, CC6.7") plus criteria in its tags."""
    found: list[str] = []
    reference = policy.framework.reference if policy.framework is not None else None
    for word in re.split(r"[,\s]+", reference or "") + list(policy.tags or []):
        if SOC2_CRITERION.match(word) and word not in found:
            found.append(word)
    return found


@dataclass
class Diagnostic:
    """One finding of one policy: a violation, or (in the report stage) an approved exception."""

    policy: str
    enforcement: str
    severity: str
    urn: str
    resource_type: str
    message: str
    soc2: list[str]
    remediation: str


@dataclass
class ApprovedException(Diagnostic):
    """A violation the policy config excuses: the original policy's metadata plus who approved it, why, until when."""

    reason: str = ""
    approved_by: str = ""
    expires: str = ""


@dataclass
class PolicySummary:
    """A policy as reports describe it: SARIF rules, the summary count, remediation text."""

    name: str
    description: str
    enforcement: str  # as configured: mandatory, advisory or disabled
    severity: str
    soc2: list[str]
    remediation: str
    url: str
    stack_policy: bool


@dataclass
class Analysis:
    """`violations` holds every diagnostic the servicer returned, in order; `findings` and `exceptions` split off the
    approved exceptions the pack reports through its `approved-exceptions` policy."""

    pack: PolicyPackSpec
    config: dict[str, dict[str, Any]]
    violations: list[Diagnostic] = field(default_factory=list)

    @property
    def mandatory(self) -> list[Diagnostic]:
        return [v for v in self.violations if v.enforcement == "mandatory"]

    @property
    def advisory(self) -> list[Diagnostic]:
        return [v for v in self.violations if v.enforcement == "advisory"]

    def split(self) -> tuple[list[Diagnostic], list[ApprovedException]]:
        """(violations that stand, approved exceptions), each in the servicer's order."""
        findings: list[Diagnostic] = []
        exceptions: list[ApprovedException] = []
        by_name = {p.name: p for p in self.pack.policies}
        for diagnostic in self.violations:
            excused = (
                parse_exception(diagnostic, by_name, self.config, self.pack.enforcement_level)
                if diagnostic.policy == EXCEPTIONS_POLICY
                else None
            )
            if excused is None:
                findings.append(diagnostic)
            else:
                exceptions.append(excused)
        return findings, exceptions

    @property
    def findings(self) -> list[Diagnostic]:
        return self.split()[0]

    @property
    def exceptions(self) -> list[ApprovedException]:
        return self.split()[1]

    def policies(self) -> list[PolicySummary]:
        return [policy_summary(p, self.config.get(p.name), self.pack.enforcement_level) for p in self.pack.policies]


# The pack reports each approved exception as an advisory diagnostic of this policy whose message is
# EXCEPTION_PREFIX + json.dumps({"policy", "urn", "reason", "approved_by", "expires", "message"}, sort_keys=True).
EXCEPTIONS_POLICY = "approved-exceptions"
EXCEPTION_PREFIX = "exception: "
_EXCEPTION_KEYS = {"policy", "urn", "reason", "approved_by", "expires", "message"}


def _severity_name(policy: Policy | None) -> str:
    severity = getattr(policy, "severity", None)
    return str(severity.value) if severity is not None else "unspecified"


def _level_name(level: EnforcementLevel | None) -> str:
    return level.value if level is not None else "advisory"


def policy_summary(policy: Policy, configured: Mapping[str, Any] | None, pack_level: EnforcementLevel) -> PolicySummary:
    level = configured["enforcementLevel"] if configured else (policy.enforcement_level or pack_level)
    return PolicySummary(
        name=policy.name,
        description=policy.description,
        enforcement="mandatory" if level == EnforcementLevel.REMEDIATE else _level_name(level),
        severity=_severity_name(policy),
        soc2=criteria_of(policy),
        remediation=policy.remediation_steps or "",
        url=policy.url or "",
        stack_policy=isinstance(policy, pulumi_policy.StackValidationPolicy),
    )


def type_of_urn(urn: str) -> str:
    """The resource type a URN names (`urn:pulumi:<stack>::<project>::<parent types$>type::<name>`)."""
    parts = urn.split("::")
    return parts[2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""


def parse_exception(
    diagnostic: Diagnostic,
    policies: Mapping[str, Policy],
    config: Mapping[str, Mapping[str, Any]],
    pack_level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> ApprovedException | None:
    """The approved exception an `approved-exceptions` diagnostic carries, or None when its message is not one."""
    if not diagnostic.message.startswith(EXCEPTION_PREFIX):
        return None
    try:
        record = json.loads(diagnostic.message.removeprefix(EXCEPTION_PREFIX))
    except json.JSONDecodeError:
        return None
    if not isinstance(record, dict) or not set(record) >= _EXCEPTION_KEYS:
        return None
    policy = policies.get(str(record["policy"]))
    configured = config.get(str(record["policy"]))
    summary = policy_summary(policy, configured, pack_level) if policy is not None else None
    return ApprovedException(
        policy=str(record["policy"]),
        enforcement=summary.enforcement if summary is not None else diagnostic.enforcement,
        severity=summary.severity if summary is not None else diagnostic.severity,
        urn=str(record["urn"]),
        resource_type=type_of_urn(str(record["urn"])) or diagnostic.resource_type,
        message=str(record["message"]),
        soc2=summary.soc2 if summary is not None else [],
        remediation=summary.remediation if summary is not None else "",
        reason=str(record["reason"]),
        approved_by=str(record["approved_by"]),
        expires=str(record["expires"]),
    )


@contextmanager
def _capturing_policy_pack(captured: dict[str, Any]) -> Iterator[None]:
    """Replaces `pulumi_policy.PolicyPack` so running a pack's entry point records its arguments
    instead of starting the gRPC server that serves forever."""

    class CapturedPolicyPack:
        def __init__(self, name: str, policies: list[Policy], enforcement_level: EnforcementLevel | None = None,
                     initial_config: dict[str, Any] | None = None, **_: Any) -> None:
            captured.update(name=name, policies=policies, enforcement_level=enforcement_level,
                            initial_config=initial_config)

    original = pulumi_policy.PolicyPack
    pulumi_policy.PolicyPack = CapturedPolicyPack  # type: ignore[misc,assignment]
    try:
        yield
    finally:
        pulumi_policy.PolicyPack = original  # type: ignore[misc]


def load_policy_pack(directory: Path) -> PolicyPackSpec:
    entry = directory / "__main__.py"
    manifest = directory / "PulumiPolicy.yaml"
    if not entry.is_file() or not manifest.is_file():
        raise InputError(f"--policy-pack {directory}: needs PulumiPolicy.yaml and __main__.py; pass a policy pack folder")
    try:
        spec = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"{manifest}: not valid YAML: {exc}") from None
    captured: dict[str, Any] = {}
    parent = str(directory.resolve().parent)
    sys.path.insert(0, parent)
    try:
        with _capturing_policy_pack(captured):
            runpy.run_path(str(entry), run_name="__main__")
    finally:
        sys.path.remove(parent)
    if not captured:
        raise InputError(f"{entry}: did not construct a PolicyPack")
    return PolicyPackSpec(
        name=captured["name"],
        version=str(spec.get("version") or "0.0.1"),
        policies=list(captured["policies"]),
        enforcement_level=captured["enforcement_level"] or EnforcementLevel.ADVISORY,
        initial_config=captured["initial_config"],
        directory=directory,
    )


def load_policy_config(path: Path | None) -> dict[str, Any]:
    """A `--policy-pack-config` file, exactly as the Pulumi CLI takes it."""
    if path is None:
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"--policy-config {path}: cannot be read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"--policy-config {path}: not valid JSON (line {exc.lineno}): {exc.msg}") from None
    if not isinstance(document, dict):
        raise InputError(f"--policy-config {path}: must be a JSON object of policy names to settings")
    return document


def _level(value: Any, where: str) -> EnforcementLevel:
    if not isinstance(value, str) or value not in _LEVELS:
        raise InputError(f"{where}: enforcement level {value!r} is not one of {', '.join(_LEVELS)}")
    return _LEVELS[value]


def resolve_config(pack: PolicyPackSpec, raw: Mapping[str, Any], source: str = "policy config") -> dict[str, dict[str, Any]]:
    """Per policy: its enforcement level and properties (schema defaults < initial config < file), as the
    CLI computes them before it calls Configure. Unknown policy names and properties are input errors."""
    names = {p.name for p in pack.policies}
    unknown = sorted(set(raw) - names - {"all"})
    if unknown:
        raise InputError(f"{source}: unknown policy {unknown[0]!r}; the pack {pack.name} has no such policy")
    default_level = _level(raw["all"], f"{source}: all") if "all" in raw else None
    resolved: dict[str, dict[str, Any]] = {}
    for policy in pack.policies:
        schema = policy.config_schema.properties if policy.config_schema else {}
        properties = {k: v["default"] for k, v in schema.items() if "default" in v}
        level = default_level or policy.enforcement_level or pack.enforcement_level
        for layer, where in (((pack.initial_config or {}).get(policy.name), "initial config"), (raw.get(policy.name), source)):
            if isinstance(layer, str):
                level = _level(layer, f"{where}: {policy.name}")
            elif isinstance(layer, EnforcementLevel):
                level = layer
            elif isinstance(layer, dict):
                extra = dict(layer)
                if "enforcementLevel" in extra:
                    level = _level(extra.pop("enforcementLevel"), f"{where}: {policy.name}.enforcementLevel")
                bad = sorted(set(extra) - set(schema))
                if bad:
                    allowed = ", ".join(sorted(schema)) or "none"
                    raise InputError(f"{where}: {policy.name}.{bad[0]} is not a setting of this policy; allowed: {allowed}")
                properties.update(extra)
            elif layer is not None:
                raise InputError(f"{where}: {policy.name} must be an enforcement level or an object")
        resolved[policy.name] = {"enforcementLevel": level, "properties": properties}
    if resolved.get(EXCEPTIONS_POLICY, {}).get("enforcementLevel") == EnforcementLevel.DISABLED:
        # The pack reports excepted violations only through this policy: disabled, they would vanish from every report.
        raise InputError(
            f"{source}: {EXCEPTIONS_POLICY} cannot be disabled; it is how approved exceptions reach the report "
            "(set it to advisory)"
        )
    return resolved


class Analyzer:
    """One configured servicer for a pack; reusable across recordings."""

    def __init__(self, pack: PolicyPackSpec, config: dict[str, dict[str, Any]]) -> None:
        self.pack = pack
        self.config = config
        self.servicer = _PolicyAnalyzerServicer(
            pack.name, pack.version, pack.policies, pack.enforcement_level, pack.initial_config
        )
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, entry in config.items():
            properties = struct_pb2.Struct()
            properties.update(entry["properties"])
            request.policyConfig[name].CopyFrom(
                analyzer_pb2.PolicyConfig(enforcementLevel=_PROTO_LEVELS[entry["enforcementLevel"]], properties=properties)
            )
        self.servicer.Configure(request, None)  # type: ignore[no-untyped-call]
        # Per policy, the servicer rebuilds each resource's options and provider view from the same request
        # message; both are pure functions of it (see _converting_each_struct_once), so build each once.
        for method in ("_get_resource_options", "_get_provider_resource"):
            setattr(self.servicer, method, _Memo(getattr(self.servicer, method)))
        self._by_name = {p.name: p for p in pack.policies}

    def _diagnostic(self, raw: Any, resource: Registration | None, types: Mapping[str, str]) -> Diagnostic | None:
        if raw.enforcementLevel not in _LEVEL_NAMES:
            return None
        policy = self._by_name.get(raw.policyName)
        urn = raw.urn or (resource.urn if resource is not None else "")
        description = raw.description
        message = raw.message.removeprefix(description).strip() if description and raw.message.startswith(description) else raw.message
        return Diagnostic(
            policy=raw.policyName,
            enforcement=_LEVEL_NAMES[raw.enforcementLevel],
            severity=_SEVERITY_NAMES.get(raw.severity) or _severity_name(policy),
            urn=urn,
            resource_type=types.get(urn) or (resource.type if resource is not None else type_of_urn(urn)),
            message=message or description,
            soc2=criteria_of(policy) if policy is not None else [],
            remediation=(policy.remediation_steps or "") if policy is not None else "",
        )

    def analyze(self, recording: Recording, progress: Any = None) -> Analysis:
        with _converting_each_struct_once():
            return self._analyze(recording, progress)

    def _analyze(self, recording: Recording, progress: Any) -> Analysis:
        analysis = Analysis(self.pack, self.config)
        types = {r.urn: r.type for r in recording.resources}
        providers = _provider_index(recording.resources)
        for resource in recording.resources:
            response = self.servicer.Analyze(_analyze_request(resource, providers), None)  # type: ignore[no-untyped-call]
            analysis.violations += [d for d in (self._diagnostic(x, resource, types) for x in response.diagnostics) if d]
            if progress is not None:
                progress()
        stack_request = analyzer_pb2.AnalyzeStackRequest(
            resources=[_stack_resource(r, providers) for r in recording.resources]
        )
        response = self.servicer.AnalyzeStack(stack_request, None)  # type: ignore[no-untyped-call]
        analysis.violations += [d for d in (self._diagnostic(x, None, types) for x in response.diagnostics) if d]
        return analysis


class _Memo:
    """Remembers f(x) by the identity of x, holding x so its id cannot be reused while the memo lives."""

    def __init__(self, function: Any) -> None:
        self._function = function
        self._results: dict[int, tuple[Any, Any]] = {}

    def __call__(self, value: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return self._function(value, *args, **kwargs)
        held = self._results.get(id(value))
        if held is None or held[0] is not value:
            held = self._results[id(value)] = (value, self._function(value))
        return held[1]


class _JsonFormat:
    """json_format as pulumi_policy.policy sees it during a run, with MessageToDict memoized."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.MessageToDict = _Memo(real.MessageToDict)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@contextmanager
def _converting_each_struct_once() -> Iterator[None]:
    """The servicer turns a resource's properties Struct into policy props once per policy: Struct -> dict
    (json_format.MessageToDict), secrets and assets unwrapped (deserialize_properties), then wrapped in the
    unknown-checking proxy. AnalyzeStack does that for every resource for every stack policy, so a pack of P
    stack policies costs P conversions of the whole stack. The three steps are pure, and the servicer hands the
    same Struct object to every policy (protobuf returns the same wrapper for a field while its message lives),
    so each is memoized by identity for the duration of one analyze(). Policies must treat props as read-only,
    as they do under the CLI, where each sees the same values. Everything else is the servicer's own code."""
    names = ("json_format", "deserialize_properties", "unknown_checking_proxy")
    originals = {name: getattr(policy_module, name) for name in names}
    setattr(policy_module, "json_format", _JsonFormat(originals["json_format"]))  # noqa: B010
    setattr(policy_module, "deserialize_properties", _Memo(originals["deserialize_properties"]))  # noqa: B010
    setattr(policy_module, "unknown_checking_proxy", _Memo(originals["unknown_checking_proxy"]))  # noqa: B010
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(policy_module, name, original)


def _engine_view(value: Any) -> Any:
    """Properties as the engine sends them to an analyzer: resource references become the referenced resource's
    id (custom resources) or URN (components); pulumi_policy cannot deserialize the reference form."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == RESOURCE_SIG:
            return value.get("id") or value.get("urn", "")
        return {k: _engine_view(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_engine_view(v) for v in value]
    return value


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(_engine_view(dict(values)))
    return message


def _provider_index(resources: Iterable[Registration]) -> dict[str, analyzer_pb2.AnalyzerProviderResource]:
    index = {}
    for r in resources:
        if r.type.startswith("pulumi:providers:"):
            index[f"{r.urn}::{r.id}"] = analyzer_pb2.AnalyzerProviderResource(
                type=r.type, properties=_struct(r.inputs), urn=r.urn, name=r.name
            )
    return index


def _options(resource: Registration) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect,
        ignoreChanges=resource.ignore_changes,
        additionalSecretOutputs=resource.additional_secret_outputs,
        parent=resource.parent,
    )


def _analyze_request(resource: Registration, providers: Mapping[str, Any]) -> analyzer_pb2.AnalyzeRequest:
    request = analyzer_pb2.AnalyzeRequest(
        type=resource.type, properties=_struct(resource.inputs), urn=resource.urn, name=resource.name,
        options=_options(resource),
    )
    if resource.provider in providers:
        request.provider.CopyFrom(providers[resource.provider])
    return request


def _stack_resource(resource: Registration, providers: Mapping[str, Any]) -> analyzer_pb2.AnalyzerResource:
    # The engine analyzes the stack on each resource's state: inputs plus the outputs known so far
    # (ids and ARNs after `up`, only inputs in a preview), so cross-resource joins can use outputs.
    message = analyzer_pb2.AnalyzerResource(
        type=resource.type, properties=_struct(resource.outputs or resource.inputs), urn=resource.urn, name=resource.name,
        options=_options(resource), parent=resource.parent, dependencies=resource.dependencies,
    )
    for key, urns in resource.property_dependencies.items():
        message.propertyDependencies[key].urns.extend(urns)
    if resource.provider in providers:
        message.provider.CopyFrom(providers[resource.provider])
    return message


def plugin_info(pack: PolicyPackSpec) -> Any:
    """The servicer's own description of the pack (policies with their metadata), as the CLI sees it."""
    return _PolicyAnalyzerServicer(pack.name, pack.version, pack.policies, pack.enforcement_level).GetAnalyzerInfo(  # type: ignore[no-untyped-call]
        empty_pb2.Empty(), None
    )
