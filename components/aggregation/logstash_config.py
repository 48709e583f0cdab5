"""The Logstash tier's pipeline text (a pure function of the backend's URL and its own port): an `http` input that
accepts only TLS and basic auth (the collectors' Fluent Bit `http` output), the mesh access-log filter
(logstash_mesh.py), and an `elasticsearch` output to each cluster's data stream over TLS verified against the
backend's CA (mounted from a ConfigMap), as the backend's collector user (forward.py), like the Fluentd tier.

Credentials are `${VAR}` references that Logstash resolves from the pod's environment (Secrets), never text."""

from __future__ import annotations

from components.aggregation.forward import FORWARD_PASSWORD_ENV, FORWARD_USERNAME_ENV, OUTPUT_PASSWORD_ENV, OUTPUT_USERNAME_ENV
from components.aggregation.logstash_mesh import logstash_mesh_filter
from components.names import ES_INDEX_PREFIX

INGEST_PORT = 8443
TLS_DIR = "/usr/share/logstash/config/logmesh-tls"
BACKEND_CA_DIR = "/usr/share/logstash/config/logmesh-backend-ca"


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


def logstash_output(backend_url: str) -> str:
    return _block(
        "output",
        "elasticsearch",
        [
            ("hosts", f'["{backend_url}"]'),
            ("user", f'"${{{OUTPUT_USERNAME_ENV}}}"'),
            ("password", f'"${{{OUTPUT_PASSWORD_ENV}}}"'),
            ("ssl_enabled", "true"),
            ("ssl_verification_mode", '"full"'),
            ("ssl_certificate_authorities", f'["{BACKEND_CA_DIR}/ca.crt"]'),
            # The data stream the collectors would write (components/names.py data_stream), from the label they stamp.
            ("index", f'"{ES_INDEX_PREFIX}%{{[labels][cluster]}}"'),
            # A create-only write, and no template or ILM calls (the backend's setup Job owns both): all the backend's
            # collector user may do (create_doc and auto_configure on logs-logmesh-*, components/backends/elk.py).
            ("action", '"create"'),
            ("data_stream", "false"),
            ("manage_template", "false"),
            ("ilm_enabled", "false"),
        ],
    )


def logstash_pipeline(backend_url: str, port: int = INGEST_PORT) -> str:
    return logstash_input(port) + "\n" + logstash_mesh_filter() + "\n" + logstash_output(backend_url)
