"""The pack as the Pulumi CLI and preflight load it: every policy self-describing, configs valid."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from pulumi_policy import EnforcementLevel, Severity, StackValidationPolicy

from policies.framework import applies_to_of, tier_of
from policies.registry import ALL_POLICIES
from preflight.analyze.config import load_policy_config, resolve_config
from preflight.analyze.findings import SOC2_CRITERION, criteria_of
from preflight.analyze.pack import PolicyPackSpec
from preflight.analyze.servicer import plugin_info
from tests.policies.conftest import ROOT

DOMAINS = {"storage", "keys", "identity", "kubernetes", "stack"}
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def test_pack_is_built_from_the_registry(pack: PolicyPackSpec) -> None:
    assert pack.name == "logmesh-soc2"
    assert pack.enforcement_level == EnforcementLevel.MANDATORY
    assert [p.name for p in pack.policies] == [p.name for p in ALL_POLICIES]
    assert len({p.name for p in pack.policies}) == len(pack.policies) >= 34


def test_every_policy_describes_itself(pack: PolicyPackSpec) -> None:
    problems = []
    for policy in pack.policies:
        found = criteria_of(policy)
        if not KEBAB.match(policy.name):
            problems.append(f"{policy.name}: name is not kebab-case")
        if not found or not all(SOC2_CRITERION.match(c) for c in found):
            problems.append(f"{policy.name}: no SOC 2 criteria in framework.reference")
        if not isinstance(policy.severity, Severity):
            problems.append(f"{policy.name}: no severity")
        if not (policy.remediation_steps or "").strip():
            problems.append(f"{policy.name}: no remediation steps")
        if len(policy.description) < 30:
            problems.append(f"{policy.name}: description too short")
        framework = policy.framework
        if framework is None or framework.name != "SOC 2" or not framework.version or not framework.specification:
            problems.append(f"{policy.name}: framework name/version/specification (anchor check) missing")
        if not policy.tags or not set(policy.tags) & DOMAINS or not set(found) <= set(policy.tags):
            problems.append(f"{policy.name}: tags must hold the domain and the criteria")
        if policy.config_schema is None or "exceptions" not in policy.config_schema.properties:
            problems.append(f"{policy.name}: config schema lacks exceptions")
    assert problems == []


def test_approved_exceptions_is_last_and_advisory(pack: PolicyPackSpec) -> None:
    last = pack.policies[-1]
    assert last.name == "approved-exceptions" and isinstance(last, StackValidationPolicy)
    assert last.enforcement_level == EnforcementLevel.ADVISORY


def test_the_cli_sees_the_metadata(pack: PolicyPackSpec) -> None:
    info = plugin_info(pack)
    assert [p.name for p in info.policies] == [p.name for p in pack.policies]
    for policy in info.policies:
        assert policy.framework.reference and policy.framework.specification and policy.remediation_steps
        assert "exceptions" in policy.configSchema.properties


def test_configurable_settings_have_defaults_and_types(pack: PolicyPackSpec) -> None:
    for policy in pack.policies:
        for key, schema in policy.config_schema.properties.items():  # type: ignore[union-attr]
            assert "type" in schema and "default" in schema, f"{policy.name}.{key}"
            jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("env", ["dev", "staging", "prod", "staging-elk"])
def test_environment_configs_are_valid(env: str, pack: PolicyPackSpec) -> None:
    raw = load_policy_config(ROOT / "policies" / "config" / f"{env}.json")
    resolved = resolve_config(pack, raw)
    for policy in pack.policies:
        schema = {
            "type": "object",
            "properties": policy.config_schema.properties,  # type: ignore[union-attr]
            "additionalProperties": False,
        }
        jsonschema.validate(resolved[policy.name]["properties"], schema, format_checker=jsonschema.FormatChecker())
    advisory = {name for name, entry in resolved.items() if entry["enforcementLevel"] != EnforcementLevel.MANDATORY}
    by_design = {"approved-exceptions", "collector-runs-as-non-root", "log-store-scope", "logging-pods-hardened"}
    if env == "dev":
        assert by_design < advisory
    else:
        assert advisory == by_design


BASELINE = {
    "s3-default-encryption-kms",
    "s3-sse-customer-managed-key",
    "gcs-default-cmek",
    "aws-kms-key-rotation-enabled",
    "gcp-kms-key-rotation-period",
    "collector-runs-as-non-root",
    "logging-pods-hardened",
    "helm-releases-rendered",
    "collector-buffering-bounded",
}


def test_without_config_soc2_policies_are_mandatory_and_the_baseline_advisory(pack: PolicyPackSpec) -> None:
    resolved = resolve_config(pack, {})
    advisory = {name for name, entry in resolved.items() if entry["enforcementLevel"] == EnforcementLevel.ADVISORY}
    assert {p.name for p in pack.policies if tier_of(p) == "baseline"} == BASELINE
    assert {p.name for p in pack.policies if tier_of(p) == "soc2"} == {p.name for p in pack.policies} - BASELINE
    assert advisory == BASELINE | {"approved-exceptions", "log-store-scope"}
    for name in ("approved-exceptions", "collector-runs-as-non-root", "log-store-scope"):
        assert "Advisory" in pack.policy(name).description


def test_every_policy_states_what_it_applies_to(pack: PolicyPackSpec) -> None:
    log_store_controls = {p.name for p in pack.policies if applies_to_of(p) == "log-stores"}
    assert {applies_to_of(p) for p in pack.policies} == {"log-stores", "every-resource"}
    assert "s3-public-access-block" not in log_store_controls and "backend-iam-least-privilege" not in log_store_controls
    assert {
        "s3-lifecycle-expiration",
        "s3-retention-within-bounds",
        "s3-object-lock-default-retention",
        "gcs-default-cmek",
    } <= log_store_controls
    assert "collector-and-gap-alert" in log_store_controls


def test_logmesh_configs_raise_the_baseline_to_mandatory(pack: PolicyPackSpec) -> None:
    for env in ("dev", "staging", "prod", "staging-elk"):
        resolved = resolve_config(pack, load_policy_config(ROOT / "policies" / "config" / f"{env}.json"))
        assert {
            # collectors need root (approved exceptions); the ECK pod templates do not meet the hardening baseline yet
            n
            for n in BASELINE - {"collector-runs-as-non-root", "logging-pods-hardened"}
            if resolved[n]["enforcementLevel"] != EnforcementLevel.MANDATORY
        } == set()


def test_prod_config_is_strictest() -> None:
    prod = json.loads((ROOT / "policies" / "config" / "prod.json").read_text())
    assert prod["s3-object-lock-default-retention"]["object_lock_mode"] == "COMPLIANCE"
    assert prod["gcs-retention-policy-locked"]["require_locked"] is True
    assert prod["log-store-deletion-protected"]["require_protect"] is True


def test_policy_entry_point_only_builds_the_pack() -> None:
    source = (ROOT / "policies" / "__main__.py").read_text(encoding="utf-8")
    assert source.count("PolicyPack(") == 1 and "def " not in source
    assert Path(ROOT / "policies" / "__init__.py").is_file()
