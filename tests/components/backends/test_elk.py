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


def test_elasticsearch_runs_three_nodes_outside_dev() -> None:
    for stack, nodes in (("dev", 1), ("staging", 3), ("prod", 3)):
        recording = elk_backend_recording(stack)
        for backend in backends(recording):
            assert custom(recording, backend, "Elasticsearch")["spec"]["nodeSets"][0]["count"] == nodes
