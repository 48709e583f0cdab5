"""Logs to traces and back, as data: Grafana's Loki derived field and Jaeger datasource, Kibana's trace-id link.

Access logs carry `trace_id` (components/mesh.py CANONICAL_FIELDS): in Loki as structured metadata, in
Elasticsearch as a field. Grafana expands `$VAR` in provisioning files, so its own `${__...}` variables are
written `$${...}`.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.tracing.link import TracingLink

TRACE_ID_FIELD = "trace_id"  # components/mesh.py CANONICAL_FIELDS


def loki_uid(store: str) -> str:
    return f"loki-{store}"


def jaeger_uid(store: str) -> str:
    return f"jaeger-{store}"


def loki_derived_fields(store: str) -> list[dict[str, Any]]:
    """The Loki datasource's link from an access log's trace id (structured metadata) to the Jaeger trace."""
    return [
        {
            "name": "Trace",
            "matcherType": "label",
            "matcherRegex": TRACE_ID_FIELD,
            "datasourceUid": jaeger_uid(store),
            "url": "$${__value.raw}",
            "urlDisplayLabel": "View trace",
        }
    ]


def traces_to_logs(store: str) -> dict[str, Any]:
    """The Jaeger datasource's link from a span to the access logs of the same request."""
    return {
        "datasourceUid": loki_uid(store),
        "spanStartTimeShift": "-5m",
        "spanEndTimeShift": "5m",
        "filterByTraceID": False,
        "filterBySpanID": False,
        "customQuery": True,
        "query": '{cluster=~".+"} | ' + TRACE_ID_FIELD + '="$${__trace.traceId}"',
    }


def jaeger_datasource(link: TracingLink, ca_pem: str) -> dict[str, Any]:
    """Grafana's Jaeger datasource: the store's Jaeger query API over TLS verified with the tracing CA."""
    return {
        "name": f"Jaeger ({link.store})",
        "uid": jaeger_uid(link.store),
        "type": "jaeger",
        "access": "proxy",
        "url": link.query_url,
        "jsonData": {"tlsAuthWithCACert": True, "tracesToLogsV2": traces_to_logs(link.store)},
        "secureJsonData": {"tlsCACert": ca_pem},
    }


def kibana_trace_field_format(jaeger_url: str) -> dict[str, Any]:
    """A Kibana data view field format: the access log's trace id as a link to the trace in Jaeger's UI."""
    return {TRACE_ID_FIELD: {"id": "url", "params": {"urlTemplate": f"{jaeger_url}/trace/{{{{value}}}}", "labelTemplate": "{{value}}"}}}


def tracing_ca(link: TracingLink | None) -> pulumi.Output[str]:
    return link.ca_pem if link is not None else pulumi.Output.from_input("")
