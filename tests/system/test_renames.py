"""Renaming a store or a cluster keeps every resource: with its `id` set to the old name, a new display `name` changes
no URN (Pulumi matches resources by URN, so none is deleted and re-created) and no input but descriptions. Without an
id the name is the id, and a rename re-creates everything under new URNs: what docs/operations.md warns about."""

from __future__ import annotations

from typing import Any

import pytest

from preflight.record.recording import Recording
from tests.helpers.harness import elk_config, elk_recording, example_recording, run, stack_config
from tests.helpers.support import plain

# Inputs that only describe a resource to people; clouds update them in place.
DESCRIPTIVE = {"description", "displayName"}
# What would lose data or cut logging off if it were deleted and re-created.
STATEFUL = (
    "aws:kms/key:Key",
    "aws:s3/bucket:Bucket",
    "aws:cloudtrail/trail:Trail",
    "gcp:kms/keyRing:KeyRing",
    "gcp:kms/cryptoKey:CryptoKey",
    "gcp:storage/bucket:Bucket",
    "kubernetes:core/v1:Namespace",
    "kubernetes:helm.sh/v3:Release",
    "random:index/randomPassword:RandomPassword",
    "tls:index/privateKey:PrivateKey",
)


def renamed(config: dict[str, Any], *, store: int, cluster: int) -> dict[str, Any]:
    """`config` with one store and one cluster renamed the safe way: id = the old name, a new name."""
    for key, index in (("logmesh:stores", store), ("logmesh:clusters", cluster)):
        entry = config[key][index]
        entry["id"], entry["name"] = entry["name"], f"{entry['name']}-renamed"
    return config


def inputs_by_urn(recording: Recording) -> dict[str, dict[str, Any]]:
    return {r.urn: {k: v for k, v in plain(r.inputs).items() if k not in DESCRIPTIVE} for r in recording.resources}


def stateful(recording: Recording) -> set[str]:
    return {r.urn for r in recording.resources if r.type in STATEFUL}


@pytest.mark.parametrize("backend", ["loki", "elk"])
def test_renaming_a_store_and_a_cluster_keeps_every_urn_and_every_input(backend: str) -> None:
    config = stack_config if backend == "loki" else elk_config
    before = example_recording("staging") if backend == "loki" else elk_recording("staging")
    after = run(renamed(config("staging"), store=0, cluster=1), "staging")
    assert stateful(before) and stateful(before) == stateful(after)
    old, new = inputs_by_urn(before), inputs_by_urn(after)
    assert set(old) == set(new), "a rename must not add or delete a resource"
    changed = sorted(urn for urn in old if old[urn] != new[urn])
    assert changed == [], changed
    # The new names show where people read them: descriptions and the stack's summary.
    summary = plain(after.stack_outputs)["summary"]
    assert summary["stores"]["aws-main"]["name"] == "aws-main-renamed"
    assert summary["clusters"]["stg-gke"]["name"] == "stg-gke-renamed"
    [key] = [r for r in after.resources if r.type == "aws:kms/key:Key"]
    assert "aws-main-renamed" in key.inputs["description"]


def test_a_rename_without_an_id_replaces_the_store_and_the_cluster() -> None:
    """What the id prevents: the name is the id, so every stateful URN of the store and the cluster changes."""
    before = example_recording("staging")
    config = stack_config("staging")
    config["logmesh:stores"][0]["name"] = "aws-other"
    for cluster in config["logmesh:clusters"]:
        if cluster.get("store") == "aws-main":
            cluster["store"] = "aws-other"
    gone = stateful(before) - stateful(run(config, "staging"))
    assert any("aws-main-logs" in urn for urn in gone) and any("aws-main-key" in urn for urn in gone)
