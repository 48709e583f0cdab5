"""The backends as the real program builds them on the real stores: one per store, on the store's cluster, wired to
the store's bucket, key, region and identity; and every example stack with `logmesh:backend: elk` as well as `loki`
builds, with no SOC 2 finding on a backend resource."""

from __future__ import annotations

import json
from typing import Any

import pytest

from preflight.analyze.config import resolve_config
from preflight.analyze.findings import Analysis
from preflight.analyze.pack import load_policy_pack
from preflight.analyze.servicer import Analyzer
from preflight.record.recording import Recording, Registration
from tests.helpers.backend_program import config_for
from tests.helpers.harness import LOKI_STACKS, ROOT, STACKS, example_recording, run, stack_config
from tests.helpers.support import descendants, plain

BACKEND_POLICIES = {
    "logging-namespace-network-policy",
    "collector-backend-tls",
    "loki-auth-enabled",
    "elastic-security-and-tls",
    "no-plaintext-credentials",
}
_elk: dict[str, Recording] = {}


@pytest.fixture(params=STACKS)
def elk_platform(request: pytest.FixtureRequest) -> Recording:
    """Each example stack with `logmesh:backend: elk` (Alloy, Loki only, becomes Fluent Bit), recorded once."""
    if request.param not in LOKI_STACKS:
        return example_recording(request.param)  # ELK as declared
    if request.param not in _elk:
        _elk[request.param] = run(config_for(request.param, "elk"), request.param)
    return _elk[request.param]


def by_name(recording: Recording, type_: str, name: str) -> Registration:
    [found] = [r for r in recording.resources if r.type == type_ and r.name == name]
    return found


def platform_of(recording: Recording) -> Registration:
    [platform] = recording.of_type("logmesh:platform:LogPlatform")
    return platform


def store_facts(recording: Recording, store: dict[str, Any]) -> dict[str, Any]:
    """What the real store registered: bucket the backend writes to, key, identity and its annotation."""
    name = store["name"]
    if store["cloud"] == "aws":
        role = plain(by_name(recording, "aws:iam/role:Role", f"{name}-backend-role").outputs)["arn"]
        return {
            "bucket": by_name(recording, "aws:s3/bucket:Bucket", f"{name}-logs").id,
            "key": plain(by_name(recording, "aws:kms/key:Key", f"{name}-key").outputs)["arn"],
            "identity": role,
            "annotations": {"eks.amazonaws.com/role-arn": role},
        }
    email = plain(by_name(recording, "gcp:serviceaccount/account:Account", f"{name}-backend-sa").outputs)["email"]
    return {
        "bucket": plain(by_name(recording, "gcp:storage/bucket:Bucket", f"{name}-logs").outputs)["name"],
        "identity": email,
        "annotations": {"iam.gke.io/gcp-service-account": email},
    }


def check_backends(recording: Recording, stack: str, kind: str) -> None:
    config = stack_config(stack)
    platform = platform_of(recording)
    component = "logmesh:backends:LokiBackend" if kind == "loki" else "logmesh:backends:ElkBackend"
    backends = {r.name: r for r in recording.of_type(component)}
    assert set(backends) == {s["name"] for s in config["logmesh:stores"]}
    hot_days = config["logmesh:retention"]["hot_days"]
    for store in config["logmesh:stores"]:
        backend = backends[store["name"]]
        assert backend.parent == platform.urn
        facts = store_facts(recording, store)
        below = descendants(recording, backend)
        # Every Kubernetes object goes to the store's backend cluster through its explicit provider.
        provider = by_name(recording, "pulumi:providers:kubernetes", f"{store['cluster']}-k8s")
        for r in below:
            if r.type.startswith("kubernetes:"):
                assert r.provider.startswith(provider.urn + "::"), (r.name, r.provider)
        [account] = [plain(r.inputs) for r in below if r.type == "kubernetes:core/v1:ServiceAccount"]
        assert account["metadata"]["annotations"] == facts["annotations"]
        if kind == "loki":
            [loki] = [plain(r.inputs)["values"] for r in below if r.type == "kubernetes:helm.sh/v3:Release" and r.inputs["chart"] == "loki"]
            storage = loki["loki"]["storage"]
            assert storage["bucketNames"]["chunks"] == facts["bucket"]
            if store["cloud"] == "aws":
                assert storage["s3"] == {"region": store["region"], "sse": {"type": "SSE-KMS", "kms_key_id": facts["key"]}}
            assert loki["loki"]["limits_config"]["retention_period"] == f"{hot_days * 24}h"
        else:
            [setup] = [plain(r.inputs)["data"] for r in below if r.type == "kubernetes:core/v1:ConfigMap"]
            assert json.loads(setup["snapshot-repository.json"])["settings"]["bucket"] == facts["bucket"]
            assert json.loads(setup["ilm-policy.json"])["policy"]["phases"]["delete"]["min_age"] == f"{hot_days}d"
            [es] = [plain(r.inputs)["spec"] for r in below if r.type.endswith(":Elasticsearch")]
            container = es["nodeSets"][0]["podTemplate"]["spec"]["containers"][0]
            if store["cloud"] == "aws":
                assert {"name": "AWS_ROLE_ARN", "value": facts["identity"]} in container["env"]
                assert es["nodeSets"][0]["config"]["s3.client.default.endpoint"] == f"s3.{store['region']}.amazonaws.com"


def test_loki_backends_sit_on_the_real_stores(example: Recording) -> None:
    check_backends(example, example.stack, "loki")


def test_elk_backends_sit_on_the_real_stores(elk_platform: Recording) -> None:
    check_backends(elk_platform, elk_platform.stack, "elk")


def backend_findings(recording: Recording) -> list[str]:
    """Mandatory findings of the backend rules (26-29, 31) anywhere, and of any rule on a backend resource."""
    analysis: Analysis = Analyzer(_pack(), resolve_config(_pack(), {})).analyze(recording)
    backend_urns = {r.urn for b in recording.resources if b.type.startswith("logmesh:backends:") for r in [b, *descendants(recording, b)]}
    return [f"{v.policy}: {v.message} ({v.urn})" for v in analysis.mandatory if v.policy in BACKEND_POLICIES or v.urn in backend_urns]


_packs: list[Any] = []


def _pack() -> Any:
    if not _packs:
        _packs.append(load_policy_pack(ROOT / "policies"))
    return _packs[0]


def test_loki_backends_pass_the_soc2_rules(example: Recording) -> None:
    assert backend_findings(example) == []


def test_elk_backends_pass_the_soc2_rules(elk_platform: Recording) -> None:
    assert backend_findings(elk_platform) == []
