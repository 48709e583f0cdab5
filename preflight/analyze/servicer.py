"""Analyze stage: drive a policy pack through pulumi_policy's own analyzer servicer.

The servicer is what `pulumi preview --policy-pack` talks to over gRPC; calling it in-process with the
same protobuf messages (Configure, Analyze per resource, AnalyzeStack once) gives the same enforcement
levels, config handling and preview-unknown behaviour as the CLI. Its class is private to
pulumi-policy, which is pinned; tests/preflight/analyze/test_servicer.py guards the surface used here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer

from policies.lib.rendered import RENDERED_BY_PREFLIGHT_ENV
from preflight.analyze.examined import drain, examined_hooks
from preflight.analyze.findings import Analysis, Finding, criteria_of, severity_name, tier_of, type_of_urn
from preflight.analyze.memo import converting_each_struct_once, memoize_resource_views
from preflight.analyze.pack import PolicyPackSpec
from preflight.heap import young_collections_only
from preflight.record.recording import Recording, Registration
from preflight.secrets import RESOURCE_SIG, SIG_KEY

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


class Analyzer:
    """One configured servicer for a pack; reusable across recordings."""

    def __init__(self, pack: PolicyPackSpec, config: dict[str, dict[str, Any]]) -> None:
        self.pack = pack
        self.config = config
        self.servicer = _PolicyAnalyzerServicer(pack.name, pack.version, pack.policies, pack.enforcement_level, pack.initial_config)
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, entry in config.items():
            properties = struct_pb2.Struct()
            properties.update(entry["properties"])
            request.policyConfig[name].CopyFrom(
                analyzer_pb2.PolicyConfig(enforcementLevel=_PROTO_LEVELS[entry["enforcementLevel"]], properties=properties)
            )
        self.servicer.Configure(request, None)  # type: ignore[no-untyped-call]
        memoize_resource_views(self.servicer)
        self._by_name = {p.name: p for p in pack.policies}
        self._examined_hooks = examined_hooks(pack.directory)

    def _finding(self, raw: Any, resource: Registration | None, types: Mapping[str, str]) -> Finding | None:
        if raw.enforcementLevel not in _LEVEL_NAMES:
            return None
        policy = self._by_name.get(raw.policyName)
        urn = raw.urn or (resource.urn if resource is not None else "")
        description = raw.description
        message = raw.message.removeprefix(description).strip() if description and raw.message.startswith(description) else raw.message
        return Finding(
            policy=raw.policyName,
            enforcement=_LEVEL_NAMES[raw.enforcementLevel],
            severity=_SEVERITY_NAMES.get(raw.severity) or severity_name(policy),
            urn=urn,
            resource_type=types.get(urn) or (resource.type if resource is not None else type_of_urn(urn)),
            message=message or description,
            soc2=criteria_of(policy) if policy is not None else [],
            remediation=(policy.remediation_steps or "") if policy is not None else "",
            tier=tier_of(policy),
        )

    def analyze(self, recording: Recording, progress: Any = None) -> Analysis:
        with converting_each_struct_once(), _releases_rendered(recording.charts is not None), young_collections_only():
            return self._analyze(recording, progress)

    def _analyze(self, recording: Recording, progress: Any) -> Analysis:
        analysis = Analysis(self.pack, self.config)
        drain(self._examined_hooks)  # whatever an earlier run left
        types = {r.urn: r.type for r in recording.resources}
        providers = _provider_index(recording.resources)
        for resource in recording.resources:
            response = self.servicer.Analyze(_analyze_request(resource, providers), None)  # type: ignore[no-untyped-call]
            analysis.violations += [d for d in (self._finding(x, resource, types) for x in response.diagnostics) if d]
            if progress is not None:
                progress()
        stack_request = analyzer_pb2.AnalyzeStackRequest(resources=[_stack_resource(r, providers) for r in recording.resources])
        response = self.servicer.AnalyzeStack(stack_request, None)  # type: ignore[no-untyped-call]
        analysis.violations += [d for d in (self._finding(x, None, types) for x in response.diagnostics) if d]
        analysis.examined = drain(self._examined_hooks)
        return analysis


@contextmanager
def _releases_rendered(rendered: bool) -> Iterator[None]:
    """Tells logmesh's pack that preflight rendered the Releases and registered their objects (charts.py), so the
    pack does not render them again (policies/lib/rendered.py). Set only for this run; a value set outside stays."""
    before = os.environ.get(RENDERED_BY_PREFLIGHT_ENV)
    if rendered:
        os.environ[RENDERED_BY_PREFLIGHT_ENV] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(RENDERED_BY_PREFLIGHT_ENV, None)
        else:
            os.environ[RENDERED_BY_PREFLIGHT_ENV] = before


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
        type=resource.type,
        properties=_struct(resource.inputs),
        urn=resource.urn,
        name=resource.name,
        options=_options(resource),
    )
    if resource.provider in providers:
        request.provider.CopyFrom(providers[resource.provider])
    return request


def _stack_resource(resource: Registration, providers: Mapping[str, Any]) -> analyzer_pb2.AnalyzerResource:
    # The engine analyzes the stack on each resource's state: inputs plus the outputs known so far
    # (ids and ARNs after `up`, only inputs in a preview), so cross-resource joins can use outputs.
    message = analyzer_pb2.AnalyzerResource(
        type=resource.type,
        properties=_struct(resource.outputs or resource.inputs),
        urn=resource.urn,
        name=resource.name,
        options=_options(resource),
        parent=resource.parent,
        dependencies=resource.dependencies,
    )
    for key, urns in resource.property_dependencies.items():
        if urns:  # as the engine sends them: a property with no dependencies is left out
            message.propertyDependencies[key].urns.extend(urns)
    if resource.provider in providers:
        message.provider.CopyFrom(providers[resource.provider])
    return message


def plugin_info(pack: PolicyPackSpec) -> Any:
    """The servicer's own description of the pack (policies with their metadata), as the CLI sees it."""
    return _PolicyAnalyzerServicer(pack.name, pack.version, pack.policies, pack.enforcement_level).GetAnalyzerInfo(  # type: ignore[no-untyped-call]
        empty_pb2.Empty(), None
    )
