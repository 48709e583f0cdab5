"""A small Pulumi program that builds each store's backend from a stack config, with store outputs made of plain
values (bucket, key, identity), recorded under the SDK's mocks. The backend tests use it to look at the
resources a backend registers independently of the store implementation."""

from __future__ import annotations

import copy
import textwrap
from pathlib import Path
from typing import Any

from preflight.record.program import record_program
from preflight.record.recording import Recording
from tests.helpers.harness import secret_keys_of, stack_config

PROGRAM = textwrap.dedent(
    '''
    import pulumi
    import pulumi_kubernetes as k8s

    from components.backends.elk import ElkBackend
    from components.backends.interface import BackendArgs
    from components.backends.loki import LokiBackend
    from components.config.loading import load_config
    from components.identity import backend_service_account


    class PlainStore:
        """The store outputs a backend reads, as fixed values."""

        def __init__(self, config, store, retention_days):
            bucket = f"{config.org}-{config.environment}-{store.name}-logs"
            sa = backend_service_account(config.backend)
            if store.cloud == "aws":
                key = f"arn:aws:kms:{store.region}:{store.account_id}:key/{store.name}-key"
                identity = f"arn:aws:iam::{store.account_id}:role/logmesh-{config.environment}-{store.name}-{config.backend}"
                annotations = {"eks.amazonaws.com/role-arn": identity}
            else:
                key = f"projects/{store.project}/locations/{store.region}/keyRings/logmesh/cryptoKeys/{store.name}"
                identity = f"logmesh-{config.environment}-{store.name}@{store.project}.iam.gserviceaccount.com"
                annotations = {"iam.gke.io/gcp-service-account": identity}
            self.bucket_name = pulumi.Output.from_input(bucket)
            self.key_id = pulumi.Output.from_input(key)
            self.identity = pulumi.Output.from_input(identity)
            self.identity_annotations = pulumi.Output.from_input(annotations)
            self.region = store.region
            self.backend_retention_days = retention_days
            self.subject = sa.subject


    config = load_config()
    test = pulumi.Config("backendtest")
    retention_days = test.get_int("retention_days") or config.retention.hot_days
    providers = {c.name: k8s.Provider(f"{c.name}-k8s", context=c.context) for c in config.clusters}
    backend_class = LokiBackend if config.backend == "loki" else ElkBackend
    endpoints = {}
    for store in config.stores:
        plain = PlainStore(config, store, retention_days)
        args = BackendArgs(config, store, plain, config.cluster(store.cluster), providers[store.cluster])
        backend = backend_class(store.name, args)
        e = backend.endpoint
        endpoints[store.name] = {
            "kind": e.kind, "host": e.host, "port": e.port, "path": e.path, "ca_pem": e.ca_pem,
            "username": e.username, "password": e.password, "password_is_secret": e.password.is_secret(),
            "tenants": list(e.tenants),
            "index_prefix": e.index_prefix, "credentials_secret": e.credentials_secret,
            "bucket": plain.bucket_name, "key": plain.key_id, "identity": plain.identity,
            "annotations": plain.identity_annotations, "region": plain.region, "retention_days": retention_days,
        }
    pulumi.export("endpoints", endpoints)
    '''
)


def config_for(stack: str, backend: str, **overrides: Any) -> dict[str, Any]:
    """An example stack with `logmesh:backend` set; for elk, Alloy collectors (Loki only) become Fluent Bit."""
    config = stack_config(stack)
    config["logmesh:backend"] = backend
    if backend == "elk":
        for cluster in config["logmesh:clusters"]:
            if cluster.get("collector") == "alloy":
                cluster["collector"] = "fluent-bit"
    config.update(copy.deepcopy(overrides))
    return config


def record(config: dict[str, Any], tmp: Path) -> Recording:
    program = tmp / "__main__.py"
    program.write_text(PROGRAM)
    return record_program(program, "logmesh", "test", config, secret_keys_of(config))
