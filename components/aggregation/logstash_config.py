"""The Logstash tier's pipeline text (a pure function of its port): an `http` input that accepts only TLS and
basic auth (the collectors' Fluent Bit `http` output), the mesh access-log filter (logstash_mesh.py), and an
`elasticsearch` output to each cluster's data stream over TLS verified against the CA that ECK's
`elasticsearchRefs` association provides, as the user it creates.

Credentials are `${VAR}` references that Logstash resolves from the pod's environment (Secrets), never text."""

from __future__ import annotations

from components.aggregation.forward import FORWARD_PASSWORD_ENV, FORWARD_USERNAME_ENV
from components.aggregation.logstash_mesh import logstash_mesh_filter
from components.names import ES_INDEX_PREFIX

INGEST_PORT = 8443
TLS_DIR = "/usr/share/logstash/config/logmesh-tls"
# ECK's association with `clusterName: logmesh` sets LOGMESH_ES_{HOSTS,USER,PASSWORD,SSL_CERTIFICATE_AUTHORITY}.
ES_CLUSTER_NAME = "logmesh"
ES_ENV = ES_CLUSTER_NAME.upper().replace("-", "_") + "_ES"


def _block(kind: str, plugin: str, settings: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in settings)
    lines = "".join(f"\n    {key:<{width}} => {value}" for key, value in settings)
    return f"{kind} {{\n  {plugin} {{{lines}\n  }}\n}}\n"


def logstash_input(port: int) -> str:
    return _block(
        "input",
        "http",
        [
            ("port", str(port)),
            ("ssl_enabled", "true"),
            ("ssl_certificate", f'"{TLS_DIR}/tls.crt"'),
            ("ssl_key", f'"{TLS_DIR}/tls.key"'),
            ("ssl_client_authentication", '"none"'),
            ("user", f'"${{{FORWARD_USERNAME_ENV}}}"'),
            ("password", f'"${{{FORWARD_PASSWORD_ENV}}}"'),
            # The request's headers (its Authorization among them) stay out of the stored document.
            ("request_headers_target_field", '"[@metadata][http][headers]"'),
            ("remote_host_target_field", '"[@metadata][http][remote_host]"'),
        ],
    )


def logstash_output() -> str:
    return _block(
        "output",
        "elasticsearch",
        [
            ("hosts", f'["${{{ES_ENV}_HOSTS}}"]'),
            ("user", f'"${{{ES_ENV}_USER}}"'),
            ("password", f'"${{{ES_ENV}_PASSWORD}}"'),
            ("ssl_enabled", "true"),
            ("ssl_verification_mode", '"full"'),
            ("ssl_certificate_authorities", f'["${{{ES_ENV}_SSL_CERTIFICATE_AUTHORITY}}"]'),
            # The data stream the collectors would write (components/names.py data_stream), from the label they stamp.
            ("index", f'"{ES_INDEX_PREFIX}%{{[labels][cluster]}}"'),
            ("action", '"create"'),
            ("data_stream", "false"),
            ("manage_template", "false"),
            ("ilm_enabled", "false"),
        ],
    )


def logstash_pipeline(port: int = INGEST_PORT) -> str:
    return logstash_input(port) + "\n" + logstash_mesh_filter() + "\n" + logstash_output()
