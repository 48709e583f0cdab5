"""The ELK backend: snapshots to the store bucket, Elasticsearch security and its node count."""

from __future__ import annotations

import json

from preflight.record.recording import Recording
from tests.helpers.backend_lookups import (
    backends,
    custom,
    elk_backend_recording,
    endpoint,
    one,
    secret_data,
    store_of,
)
from tests.helpers.support import below, plain


def test_elasticsearch_snapshots_to_the_store_bucket_without_sse_override(elk_recorded: tuple[str, str, Recording]) -> None:
    _stack, _kind, recording = elk_recorded
    for backend in backends(recording):
        store = endpoint(recording, store_of(backend))
        setup = plain(below(recording, backend, "kubernetes:core/v1:ConfigMap")[0].inputs)["data"]
        repository = json.loads(setup["snapshot-repository.json"])
        assert repository["settings"]["bucket"] == store["bucket"]
        assert repository["settings"]["base_path"] == f"elasticsearch/{store_of(backend)}"
        # server_side_encryption would send SSE-S3 and override the bucket's SSE-KMS default.
        assert "server_side_encryption" not in repository["settings"]
        es = custom(recording, backend, "Elasticsearch")["spec"]["nodeSets"][0]
        if store["key"].startswith("arn:aws:kms:"):
            assert repository["type"] == "s3"
            assert es["config"]["s3.client.default.endpoint"] == f"s3.{store['region']}.amazonaws.com"
        else:
            assert repository["type"] == "gcs"
            assert not any(k.startswith("s3.") for k in es["config"])


def test_elasticsearch_security_stays_on_and_collectors_get_a_write_only_user(elk_recorded: tuple[str, str, Recording]) -> None:
    _stack, _kind, recording = elk_recorded
    for backend in backends(recording):
        ep = endpoint(recording, store_of(backend))
        spec = custom(recording, backend, "Elasticsearch")["spec"]
        dumped = json.dumps(spec)
        assert "xpack.security.enabled" not in dumped and '"disabled": true' not in dumped
        assert spec["auth"] == {"roles": [{"secretName": "elasticsearch-roles"}], "fileRealm": [{"secretName": "elasticsearch-collector"}]}
        user = one(recording, backend, "kubernetes:core/v1:Secret", "elasticsearch-collector")
        assert user.inputs["type"] == "kubernetes.io/basic-auth"
        assert plain(user.inputs)["stringData"] == {"username": "collector", "password": ep["password"], "roles": "logmesh_writer"}
        roles = json.loads(secret_data(recording, backend, "elasticsearch-roles")["roles.yml"])
        assert roles["logmesh_writer"]["indices"] == [{"names": ["logs-logmesh-*"], "privileges": ["create_doc", "auto_configure"]}]
        assert ep["index_prefix"] == "logs-logmesh-"


def test_elasticsearch_and_kibana_are_sized_from_the_daily_volume() -> None:
    """One node in dev, three or more elsewhere; each node's disk, memory and CPU follow its share of the hot data."""
    from tests.helpers.harness import stack_config

    for stack, nodes in (("dev", 1), ("staging", 3), ("prod", 20)):
        config = stack_config(stack)
        daily = config.get("logmesh:daily_volume_gb", 100)
        recording = elk_backend_recording(stack)
        for backend in backends(recording):
            spec = custom(recording, backend, "Elasticsearch")["spec"]
            [node_set] = spec["nodeSets"]
            assert node_set["count"] == nodes, stack
            [container] = node_set["podTemplate"]["spec"]["containers"]
            sized = container["resources"]
            assert set(sized["requests"]) == {"cpu", "memory"} and set(sized["limits"]) == {"memory"}
            memory = int(sized["requests"]["memory"].removesuffix("Gi"))
            disk = int(node_set["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"].removesuffix("Gi"))
            assert 8 <= memory <= 64 and int(sized["requests"]["cpu"]) == max(1, -(-memory // 4))
            # About 1 GB of memory per 30 GB of disk, and all nodes together hold every copy of the hot data.
            assert memory == min(64, max(8, -(-disk // 30)))
            copies = 1 if nodes == 1 else 2
            assert disk * nodes >= daily * config["logmesh:retention"]["hot_days"] * copies
            kibana = custom(recording, backend, "Kibana")["spec"]["podTemplate"]["spec"]["containers"][0]["resources"]
            assert kibana == {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"memory": "2Gi"}}


def test_elasticsearch_sizing_scales_with_volume() -> None:
    from components.backends.elk_sizing import elasticsearch_sizing

    small, big = elasticsearch_sizing("prod", 10, 7), elasticsearch_sizing("prod", 10000, 30)
    assert (small.nodes, small.resources["requests"]) == (3, {"cpu": "2", "memory": "8Gi"})
    assert big.nodes > 3 and big.resources["requests"] == {"cpu": "16", "memory": "64Gi"}
    assert elasticsearch_sizing("dev", 10, 7).index_replicas == 0


def test_kibana_sends_no_telemetry(elk_recorded: tuple[str, str, Recording]) -> None:
    _stack, _kind, recording = elk_recorded
    for backend in backends(recording):
        config = custom(recording, backend, "Kibana")["spec"]["config"]
        assert (config["telemetry.optIn"], config["telemetry.allowChangingOptInStatus"]) == (False, False)
