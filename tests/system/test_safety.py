"""Safe operation of the real platform: previews don't crash, generated stacks pass the pack, and the platform's
own secrets (gateway passwords, private keys, kubeconfigs) reach no report, from a program run or a state export."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from preflight.analyze.config import load_policy_config, resolve_config
from preflight.analyze.findings import Analysis
from preflight.analyze.pack import load_policy_pack
from preflight.analyze.servicer import Analyzer
from preflight.cli import main as preflight_main
from preflight.record.program import record_program
from preflight.record.recording import Recording
from preflight.record.state import load_state
from preflight.report.evidence import build_evidence
from preflight.report.formats import FORMATS, render
from preflight.secrets import SECRET_SIG, SIG_KEY
from tests.helpers.harness import PROJECT, ROOT, STACKS, secret_keys_of, stack_config
from tests.helpers.support import public_strings

PACK = load_policy_pack(ROOT / "policies")


def analyze(recording: Recording, environment: str) -> Analysis:
    config = load_policy_config(ROOT / "policies" / "config" / f"{environment}.json")
    return Analyzer(PACK, resolve_config(PACK, config)).analyze(recording)


@pytest.mark.parametrize("stack", STACKS)
def test_preview_of_every_example_stack(stack: str, tmp_path: Path) -> None:
    report = tmp_path / "preview.json"
    code = preflight_main(["--stack", stack, "--preview", "--format", "json", "--output", str(report)])
    document = json.loads(report.read_text(encoding="utf-8"))
    assert code == 0, [v for v in document["violations"] if v["enforcement"] == "mandatory"]
    assert document["summary"]["resources"] == len(document["resources"]) > 50


# Retention inside the pack's per-environment bounds (policies/config/<env>.json): the stack schema allows
# any archive_days >= hot_days, the organisation's policy narrows it.
MIN_ARCHIVE_DAYS = {"dev": 7, "staging": 90, "prod": 365}


@st.composite
def valid_stacks(draw: st.DrawFn) -> dict[str, Any]:
    environment = draw(st.sampled_from(["dev", "staging", "prod"]))
    backend = draw(st.sampled_from(["loki", "elk"]))
    hot_days = draw(st.integers(min_value=1, max_value=90))
    # A store keeps a log at most archive_days + 1 (S3 lifecycle acts a day after the backstop), so the pack's
    # maximum of 2555 days admits archive_days up to 2554.
    archive_days = draw(st.integers(min_value=max(hot_days, MIN_ARCHIVE_DAYS[environment]), max_value=2554))
    clouds = draw(st.lists(st.sampled_from(["aws", "gcp"]), min_size=1, max_size=3))
    stores: list[dict[str, Any]] = []
    clusters: list[dict[str, Any]] = []
    collectors = ["fluent-bit", "alloy"] if backend == "loki" else ["fluent-bit", "filebeat"]
    for i, cloud in enumerate(clouds):
        for j in range(draw(st.integers(min_value=1, max_value=2))):
            name = f"s{i}-c{j}"
            mesh = draw(st.sampled_from(["istio", "linkerd", "none"]))
            cluster: dict[str, Any] = {
                "name": name,
                "cloud": cloud,
                "context": f"ctx-{name}",
                "mesh": mesh,
                "collector": draw(st.sampled_from(collectors)),
                "store": f"store{i}",
            }
            if mesh != "none" and draw(st.booleans()):
                cluster["mesh_namespaces"] = ["shop"]
            if cloud == "aws":
                cluster.update(
                    region="eu-west-1",
                    oidc_provider_arn=f"arn:aws:iam::210987654321:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/{i}{j}ABCDEF0123456789",
                )
            else:
                cluster.update(region="europe-west4", project=f"acme-apps-{i}")
            clusters.append(cluster)
        store: dict[str, Any] = {"name": f"store{i}", "cloud": cloud, "cluster": f"s{i}-c0"}
        if cloud == "aws":
            store.update(region="eu-west-1", account_id="210987654321")
        else:
            store.update(region="europe-west4", project=f"acme-logs-{i}", project_number=f"{400000000000 + i}")
        stores.append(store)
    return {
        "logmesh:environment": environment,
        "logmesh:org": draw(st.sampled_from(["acme", "a", "platform-team"])),
        "logmesh:backend": backend,
        "logmesh:retention": {"hot_days": hot_days, "archive_days": archive_days, "immutable": environment != "dev" or draw(st.booleans())},
        "logmesh:ingest_domain": "logs.example.internal",
        "logmesh:daily_volume_gb": draw(st.sampled_from([1, 100, 5000])),
        "logmesh:stores": stores,
        "logmesh:clusters": clusters,
        "logmesh:alerting": {"alertmanager_url": "http://alertmanager-operated.monitoring.svc.cluster.local:9093"},
    }


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(valid_stacks())
def test_generated_valid_stacks_have_no_mandatory_violation(config: dict[str, Any]) -> None:
    environment = config["logmesh:environment"]
    recording = record_program(PROJECT.main, PROJECT.name, environment, config, secret_keys_of(config))
    mandatory = analyze(recording, environment).mandatory
    assert not mandatory, [(v.policy, v.urn, v.message) for v in mandatory]


def _secret_values(value: Any, found: set[str]) -> set[str]:
    """Every string inside a value the wire marks secret."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            _strings(value.get("value"), found)
        else:
            for v in value.values():
                _secret_values(v, found)
    elif isinstance(value, list):
        for v in value:
            _secret_values(v, found)
    return found


def _strings(value: Any, found: set[str]) -> None:
    if isinstance(value, str):
        found.update(line for line in value.splitlines() if len(line.strip()) >= 12)
    elif isinstance(value, dict):
        for v in value.values():
            _strings(v, found)
    elif isinstance(value, list):
        for v in value:
            _strings(v, found)


KUBECONFIG = "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: kubeconfig-token-3f9Qx7LmZp2W\n"


@pytest.fixture(scope="module")
def prod_with_secrets() -> tuple[Recording, set[str]]:
    config = stack_config("prod")
    config["logmesh:kubeconfigs"] = {"prod-eks-use1": KUBECONFIG}
    recording = record_program(PROJECT.main, PROJECT.name, "prod", config, secret_keys=["logmesh:kubeconfigs"])
    secrets: set[str] = set()
    public: list[str] = []
    for resource in recording.resources:
        for values in (resource.inputs, resource.outputs):
            _secret_values(values, secrets)
            public_strings(values, public)
    corpus = "\n".join(public)
    # Lines of a secret that also stand in public values (a certificate's armour, a shared JSON line) prove nothing.
    return recording, {s for s in secrets if s.strip() not in corpus}


def test_the_platform_marks_its_credentials_secret(prod_with_secrets: tuple[Recording, set[str]]) -> None:
    recording, secrets = prod_with_secrets
    assert "    token: kubeconfig-token-3f9Qx7LmZp2W" in secrets
    kinds = {r.type for r in recording.resources if _secret_values(r.outputs, set())}
    assert {"random:index/randomPassword:RandomPassword", "tls:index/privateKey:PrivateKey"} <= kinds
    passwords = [r.outputs["result"]["value"] for r in recording.of_type("random:index/randomPassword:RandomPassword")]
    assert passwords and all(p in secrets for p in passwords)


def _reports(recording: Recording) -> dict[str, str]:
    evidence = build_evidence(recording, analyze(recording, "prod"), ROOT)
    out = {}
    for format_ in FORMATS:
        stream = io.StringIO()
        render(evidence, format_, stream)
        out[format_] = stream.getvalue()
    return out


def _leaks(reports: dict[str, str], secrets: set[str]) -> list[tuple[str, str]]:
    return [(format_, s) for format_, text in reports.items() for s in secrets if s.strip() in text]


def test_no_platform_secret_in_any_report(prod_with_secrets: tuple[Recording, set[str]]) -> None:
    recording, secrets = prod_with_secrets
    reports = _reports(recording)
    assert all(reports.values())
    assert _leaks(reports, secrets) == []


def _export(recording: Recording) -> dict[str, Any]:
    """The recording as `pulumi stack export --show-secrets` writes it (secrets in plaintext form)."""

    def wire(value: Any) -> Any:
        if isinstance(value, dict):
            if value.get(SIG_KEY) == SECRET_SIG:
                return {SIG_KEY: SECRET_SIG, "plaintext": json.dumps(value.get("value"))}
            return {k: wire(v) for k, v in value.items()}
        if isinstance(value, list):
            return [wire(v) for v in value]
        return value

    stack_urn = f"urn:pulumi:{recording.stack}::{recording.project}::pulumi:pulumi:Stack::{recording.project}-{recording.stack}"
    resources = [
        {
            "urn": r.urn,
            "custom": r.custom,
            "id": r.id,
            "type": r.type,
            "inputs": wire(r.inputs),
            "outputs": wire(r.outputs),
            "parent": r.parent or stack_urn,
            "dependencies": r.dependencies,
            "propertyDependencies": r.property_dependencies,
            "protect": r.protect,
            "retainOnDelete": r.retain_on_delete,
        }
        for r in recording.resources
    ]
    return {"version": 3, "deployment": {"manifest": {"time": "2026-11-26T00:00:00Z", "version": "v3.272.0"}, "resources": resources}}


def test_no_platform_secret_in_any_report_from_state(prod_with_secrets: tuple[Recording, set[str]], tmp_path: Path) -> None:
    recording, secrets = prod_with_secrets
    export = tmp_path / "prod.export.json"
    export.write_text(json.dumps(_export(recording)), encoding="utf-8")
    assert any(s.strip() in export.read_text(encoding="utf-8") for s in secrets), "the export must carry the secrets"
    state = load_state(export, ROOT)
    assert len(state.resources) == len(recording.resources)
    assert _leaks(_reports(state), secrets) == []
