"""The Datadog sink with the Fluent Bit chart rendered (a small chart written for the tests, tests/components/charts):
the rendered objects validate, the rendered fluent-bit.conf sends to the intake over verified TLS with the API key
from the DaemonSet's environment, which comes from the sink's Secret; flawed copies of the rendered objects are caught."""

from __future__ import annotations

import copy
import tarfile
from pathlib import Path

import kubernetes_validate
import pytest

from components.sinks.datadog import API_KEY_ENV, API_KEY_FIELD, API_KEY_SECRET
from policies.lib.collector_config import fluent_bit_sections
from preflight.analyze.config import load_policy_config, resolve_config
from preflight.analyze.pack import load_policy_pack
from preflight.analyze.servicer import Analyzer
from preflight.record.charts import archive_name, render_releases
from preflight.record.recording import Recording, Registration
from tests.helpers.harness import ROOT, example_recording
from tests.helpers.support import manifest, plain

CHART = Path(__file__).resolve().parent / "charts" / "fluent-bit"
RELEASE = "stg-eks-fluent-bit"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Recording:
    cache = tmp_path_factory.mktemp("charts")
    with tarfile.open(cache / archive_name("fluent-bit", "0.58.1"), "w:gz") as archive:
        archive.add(CHART, arcname="fluent-bit")
    recording = copy.deepcopy(example_recording("staging"))
    outcome = render_releases(recording, cache)
    assert next(r.urn for r in recording.of_type("kubernetes:helm.sh/v3:Release") if r.name == RELEASE) in outcome.rendered
    return recording


def _object(recording: Recording, type_: str) -> Registration:
    release = next(r for r in recording.of_type("kubernetes:helm.sh/v3:Release") if r.name == RELEASE)
    [found] = [r for r in recording.resources if r.parent == release.urn and r.type == type_]
    return found


def test_the_rendered_objects_validate(rendered: Recording) -> None:
    secret = next(r for r in rendered.of_type("kubernetes:core/v1:Secret") if r.inputs["metadata"]["name"] == API_KEY_SECRET)
    for r in (_object(rendered, "kubernetes:core/v1:ConfigMap"), _object(rendered, "kubernetes:apps/v1:DaemonSet")):
        kubernetes_validate.validate(plain(r.inputs), "1.33", strict=True)
    kubernetes_validate.validate(manifest(secret), "1.33", strict=True)


def test_the_rendered_config_sends_over_verified_tls_with_the_key_from_the_secret(rendered: Recording) -> None:
    conf = _object(rendered, "kubernetes:core/v1:ConfigMap").inputs["data"]["fluent-bit.conf"]
    outputs = [entries for section, entries in fluent_bit_sections(conf) if section == "OUTPUT"]
    [datadog] = [o for o in outputs if o["name"] == "datadog"]
    assert (datadog["host"], datadog["port"], datadog["tls"], datadog["tls.verify"]) == (
        "http-intake.logs.datadoghq.com",
        "443",
        "On",
        "On",
    )
    assert datadog["tls.verify_hostname"] == "On" and datadog["apikey"] == f"${{{API_KEY_ENV}}}"
    # The mesh parsing runs on the same records: the Lua normalizer and the parsers are in the rendered file too.
    filters = [entries for section, entries in fluent_bit_sections(conf) if section == "FILTER"]
    assert {"parser", "lua"} <= {f["name"] for f in filters} and datadog["match"] == "kube.*"
    [container] = _object(rendered, "kubernetes:apps/v1:DaemonSet").inputs["spec"]["template"]["spec"]["containers"]
    [env] = [e for e in container["env"] if e["name"] == API_KEY_ENV]
    assert env["valueFrom"]["secretKeyRef"] == {"name": API_KEY_SECRET, "key": API_KEY_FIELD}
    secret = next(r for r in rendered.of_type("kubernetes:core/v1:Secret") if r.inputs["metadata"]["name"] == API_KEY_SECRET)
    daemonset = _object(rendered, "kubernetes:apps/v1:DaemonSet")
    assert secret.inputs["metadata"]["namespace"] == daemonset.inputs["metadata"]["namespace"]
    assert API_KEY_FIELD in plain(secret.inputs)["stringData"]


def test_flawed_copies_of_the_rendered_objects_are_caught(rendered: Recording) -> None:
    pack = load_policy_pack(ROOT / "policies")
    config = load_policy_config(ROOT / "policies" / "config" / "staging.json")
    configmap = _object(rendered, "kubernetes:core/v1:ConfigMap")
    policies = {"collector-backend-tls", "no-plaintext-credentials", "external-log-destination-approved"}

    def verdicts(recording: Recording, policy_config: dict[str, object]) -> set[tuple[str, str]]:
        analysis = Analyzer(pack, resolve_config(pack, policy_config)).analyze(recording)
        return {(v.policy, v.urn.rsplit("::", 1)[-1]) for v in analysis.mandatory if v.policy in policies}

    assert verdicts(rendered, config) == set()
    flawed = copy.deepcopy(rendered)
    conf = next(r for r in flawed.resources if r.urn == configmap.urn).inputs["data"]
    text = conf["fluent-bit.conf"]
    conf["fluent-bit.conf"] = text.replace(f"apikey                   ${{{API_KEY_ENV}}}", "apikey                   0123456789abcdef")
    conf["fluent-bit.conf"] = conf["fluent-bit.conf"].replace(
        "Port                     443\n    tls                      On", "Port                     443\n    tls                      Off"
    )
    assert conf["fluent-bit.conf"] != text
    found = verdicts(flawed, config)
    assert {("collector-backend-tls", configmap.name), ("no-plaintext-credentials", configmap.name)} <= found
    unapproved = {k: v for k, v in config.items() if k != "external-log-destination-approved"}
    assert ("external-log-destination-approved", configmap.name) in verdicts(rendered, unapproved)
