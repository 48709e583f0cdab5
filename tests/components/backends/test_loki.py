"""The Loki backend: the store bucket, key and region it writes with, and who may write and read through it."""

from __future__ import annotations

from typing import Any

from components.backends.gateway import loki_gateway_access_map
from preflight.record.recording import Recording
from tests.helpers.backend_lookups import (
    backends,
    endpoint,
    release,
    secret_data,
    store_of,
)
from tests.helpers.backend_program import config_for
from tests.helpers.support import below, plain


def test_loki_writes_to_the_store_bucket_with_its_key_and_region(loki_recorded: tuple[str, str, Recording]) -> None:
    _stack, _kind, recording = loki_recorded
    for backend in backends(recording):
        store = endpoint(recording, store_of(backend))
        loki = release(recording, backend, "loki")["values"]["loki"]
        storage = loki["storage"]
        assert storage["bucketNames"] == {"chunks": store["bucket"], "ruler": store["bucket"]}
        [schema] = loki["schemaConfig"]["configs"]
        assert (schema["store"], schema["schema"], schema["index"]["period"]) == ("tsdb", "v13", "24h")
        if store["key"].startswith("arn:aws:kms:"):
            assert storage["type"] == schema["object_store"] == loki["compactor"]["delete_request_store"] == "s3"
            assert storage["s3"] == {"region": store["region"], "sse": {"type": "SSE-KMS", "kms_key_id": store["key"]}}
        else:
            # GCS: Loki has no KMS setting; the bucket's default CMEK encrypts, and no S3 block lingers.
            assert storage["type"] == schema["object_store"] == loki["compactor"]["delete_request_store"] == "gcs"
            assert "s3" not in storage


def test_loki_authenticates_every_writer_and_reader(loki_recorded: tuple[str, str, Recording]) -> None:
    stack, kind, recording = loki_recorded
    for backend in backends(recording):
        ep = endpoint(recording, store_of(backend))
        values = release(recording, backend, "loki")["values"]
        assert values["loki"]["auth_enabled"] is True
        assert values["gateway"]["basicAuth"] == {"enabled": True, "existingSecret": "loki-gateway-htpasswd"}
        htpasswd = secret_data(recording, backend, "loki-gateway-htpasswd")[".htpasswd"]
        passwords = {r.name: plain(r.outputs) for r in below(recording, backend, "random:index/randomPassword:RandomPassword")}
        collector = passwords[f"{store_of(backend)}-collector-password"]
        grafana = passwords[f"{store_of(backend)}-grafana-password"]
        assert htpasswd == f"collector:{collector['bcryptHash']}\ngrafana:{grafana['bcryptHash']}\n"
        assert ep["password"] == collector["result"] and ep["username"] == "collector"
        # The endpoint's password stays a secret on the wire.
        assert ep["password_is_secret"] is True
        # One tenant per cluster; the gateway lets the collector push only as one of them.
        tenants = [c["name"] for c in config_for(stack, kind)["logmesh:clusters"] if _ships_to(stack, c, store_of(backend))]
        assert ep["tenants"] == tenants
        assert values["gateway"]["nginxConfig"]["httpSnippet"] == loki_gateway_access_map(tenants)
        assert values["gateway"]["nginxConfig"]["locationSnippet"] == "if ($logmesh_forbidden) { return 403; }"


def _ships_to(stack: str, cluster: dict[str, Any], store: str) -> bool:
    stores = config_for(stack, "loki")["logmesh:stores"]
    if "store" in cluster:
        return bool(cluster["store"] == store)
    return [s["name"] for s in stores if s["cloud"] == cluster["cloud"]] == [store]
