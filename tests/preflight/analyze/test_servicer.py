"""Guards the private pulumi_policy surface preflight drives (pinned in pyproject.toml): if an upgrade changes it,
this fails before preflight silently stops matching `pulumi preview --policy-pack`."""

from __future__ import annotations

import inspect
import tomllib
from importlib.metadata import version

import pulumi_policy
from google.protobuf import json_format
from pulumi.runtime import rpc
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import policy as policy_module
from pulumi_policy.policy import _PolicyAnalyzerServicer

from preflight.analyze.config import resolve_config
from preflight.analyze.pack import load_policy_pack
from preflight.analyze.servicer import Analyzer, _stack_resource
from preflight.record.program import record_program
from preflight.record.recording import Registration
from preflight.secrets import RESOURCE_SIG, SECRET_SIG, SIG_KEY, UNKNOWN
from tests.preflight.conftest import ROOT


def test_pinned_version() -> None:
    pyproject = ROOT / "pyproject.toml"
    dependencies = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    pinned = next(dependency.split("==")[1].strip() for dependency in dependencies if dependency.startswith("pulumi-policy=="))
    assert version("pulumi-policy") == pinned


def test_servicer_constructor() -> None:
    parameters = list(inspect.signature(_PolicyAnalyzerServicer.__init__).parameters)
    assert parameters[:6] == ["self", "name", "version", "policies", "enforcement_level", "initial_config"]


def test_servicer_methods() -> None:
    for method in ("Analyze", "AnalyzeStack", "Configure", "GetAnalyzerInfo"):
        # Called positionally as (request, context): only the arity matters.
        assert len(inspect.signature(getattr(_PolicyAnalyzerServicer, method)).parameters) == 3


def test_messages_and_diagnostic_fields() -> None:
    diagnostic = analyzer_pb2.AnalyzeDiagnostic.DESCRIPTOR.fields_by_name
    for name in ("policyName", "message", "urn", "description", "enforcementLevel", "severity"):
        assert name in diagnostic
    request = analyzer_pb2.AnalyzeRequest.DESCRIPTOR.fields_by_name
    assert {"type", "properties", "urn", "name", "options", "provider"} <= set(request)
    stack_resource = analyzer_pb2.AnalyzerResource.DESCRIPTOR.fields_by_name
    assert {"type", "properties", "urn", "name", "options", "provider", "parent", "dependencies", "propertyDependencies"} <= set(
        stack_resource
    )
    assert "policyConfig" in analyzer_pb2.ConfigureAnalyzerRequest.DESCRIPTOR.fields_by_name
    assert {"enforcementLevel", "properties"} <= set(analyzer_pb2.PolicyConfig.DESCRIPTOR.fields_by_name)
    assert {analyzer_pb2.ADVISORY, analyzer_pb2.MANDATORY, analyzer_pb2.REMEDIATE, analyzer_pb2.DISABLED}
    assert analyzer_pb2.POLICY_SEVERITY_CRITICAL


def test_policy_metadata_fields() -> None:
    parameters = set(inspect.signature(pulumi_policy.ResourceValidationPolicy.__init__).parameters)
    assert {"severity", "framework", "tags", "remediation_steps", "config_schema", "url"} <= parameters
    assert {"name", "version", "reference", "specification"} <= set(inspect.signature(pulumi_policy.PolicyComplianceFramework).parameters)


def test_wire_signatures() -> None:
    assert (
        rpc._special_sig_key,
        rpc._special_secret_sig,
        rpc._special_resource_sig,
        rpc.UNKNOWN,
    ) == (SIG_KEY, SECRET_SIG, RESOURCE_SIG, UNKNOWN)
    assert SIG_KEY == "4dabf18193072939515e22adb298388d" and SECRET_SIG == "1b47061264138c4ac30d75fd1eb44270"


def test_struct_conversion_cache_changes_nothing(s3_project, small_pack) -> None:  # type: ignore[no-untyped-def]
    """analyze() converts each distinct properties Struct once (pulumi_policy.policy calls json_format.MessageToDict);
    the findings are exactly those of the servicer left alone, and the module is restored afterwards."""
    originals = (policy_module.deserialize_properties, policy_module.unknown_checking_proxy)  # type: ignore[attr-defined]
    assert policy_module.json_format is json_format  # type: ignore[attr-defined]
    recording = record_program(s3_project, "outside", "dev", {})
    pack = load_policy_pack(small_pack)
    analyzer = Analyzer(pack, resolve_config(pack, {}))
    cached = analyzer.analyze(recording)
    assert policy_module.json_format is json_format  # type: ignore[attr-defined]
    assert (policy_module.deserialize_properties, policy_module.unknown_checking_proxy) == originals  # type: ignore[attr-defined]
    plain = Analyzer(pack, resolve_config(pack, {}))._analyze(recording, None)
    assert cached.violations == plain.violations and len(cached.violations) == 4


def test_stack_resources_omit_properties_without_dependencies_as_the_engine_does() -> None:
    """The engine's AnalyzeStack request (pkg/resource/plugin/analyzer_plugin.go) skips properties with no
    dependencies, while a registration lists every input property, most with none."""
    bucket = "urn:pulumi:dev::p::aws:s3/bucket:Bucket::logs"
    resource = Registration(
        urn="urn:pulumi:dev::p::aws:s3/bucketVersioning:BucketVersioning::logs",
        type="aws:s3/bucketVersioning:BucketVersioning",
        name="logs",
        custom=True,
        parent="",
        inputs={"bucket": "logs", "expectedBucketOwner": "1"},
        property_dependencies={"bucket": [bucket], "expectedBucketOwner": []},
    )
    message = _stack_resource(resource, {})
    assert {key: list(value.urns) for key, value in message.propertyDependencies.items()} == {"bucket": [bucket]}
