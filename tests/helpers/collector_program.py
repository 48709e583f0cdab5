"""A small Pulumi program that builds collectors, mesh access logs and alert rules for a stack config with backend
endpoints made of plain values, recorded under the SDK's mocks (used by the collector, mesh and alert tests until,
and besides, the platform's own backends)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from preflight.record.program import record_program
from preflight.record.recording import Recording
from tests.helpers.harness import secret_keys_of

CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBlogmesh-test-ca\n-----END CERTIFICATE-----\n"
PASSWORD_PREFIX = "pw-do-not-leak-"

PROGRAM = textwrap.dedent(
    """
    import pulumi
    import pulumi_kubernetes as k8s

    from components.alerts.component import AlertRules, AlertRulesArgs
    from components.backends.interface import BackendEndpoint
    from components.collectors.interface import CollectorArgs
    from components.collectors.registry import collector_for
    from components.config.loading import load_config
    from components.mesh import MeshAccessLogs, MeshAccessLogsArgs

    config = load_config()
    providers = {c.name: k8s.Provider(f"{c.name}-k8s", context=c.context) for c in config.clusters}
    endpoints = {}
    for store in config.stores:
        loki = config.backend == "loki"
        endpoints[store.name] = BackendEndpoint(
            store=store.name,
            kind=config.backend,
            host=pulumi.Output.from_input(f"{store.name}.ingest.logmesh.internal"),
            port=443 if loki else 9200,
            path="/loki/api/v1/push" if loki else "",
            ca_pem=pulumi.Output.from_input(CA_PEM),
            username="collector",
            password=pulumi.Output.secret(PASSWORD_PREFIX + store.name),
        )
    for cluster in config.clusters:
        args = CollectorArgs(config, cluster, providers[cluster.name], endpoints[cluster.store])
        collector_for(cluster.name, args)
        MeshAccessLogs(f"{cluster.name}-mesh", MeshAccessLogsArgs(cluster, providers[cluster.name]))
    for store in config.stores:
        AlertRules(
            f"{store.name}-alerts",
            AlertRulesArgs(
                config,
                tuple(config.clusters_of(store)),
                providers[store.cluster],
                endpoints[store.name],
                kibana_url="https://logmesh-kb-http.logging.svc:5601",
                kibana_ca_secret="logmesh-kb-http-certs-public",
                elastic_user_secret="logmesh-es-elastic-user",
            ),
        )
    """
)


def record(config: dict[str, Any], tmp: Path) -> Recording:
    program = tmp / "__main__.py"
    program.write_text(f"CA_PEM = {CA_PEM!r}\nPASSWORD_PREFIX = {PASSWORD_PREFIX!r}\n" + PROGRAM)
    return record_program(program, "logmesh", "test", config, secret_keys_of(config))
