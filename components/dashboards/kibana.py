"""Kibana saved objects for the ELK backend, generated from data and imported as NDJSON by the setup Job: data views
of the logs and of the alert history, Lens charts (ingestion per cluster, mesh 4xx/5xx, latency, authentication
failures), saved searches (collector retries and drops, fired alerts) and three dashboards, the third a SOC 2 view.

Pure: no Pulumi. Ids are stable, so the Job's `_import?overwrite=true` updates rather than duplicates them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from components.alerts.catalog import COLLECTOR_DROP_PATTERNS, COLLECTOR_RETRY_PATTERNS
from components.names import ALERT_HISTORY_DATA_STREAM, COLLECTOR_NAMESPACE, ES_INDEX_PREFIX

LOGS_VIEW = "logmesh-logs"
ALERTS_VIEW = "logmesh-alert-history"
LAYER = "layer1"
# Both collectors put the static labels under `labels.*` (components/collectors: Filebeat add_fields, Fluent Bit nest).
CLUSTER_FIELD = "labels.cluster"


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    kql: str
    metric: str = "count"  # or "percentile" of duration_ms


def data_view(id_: str, pattern: str, name: str, field_formats: dict[str, Any] | None = None) -> dict[str, Any]:
    """A data view; `field_formats` (field -> format) is Kibana's fieldFormatMap, which it stores as a JSON string."""
    attributes: dict[str, Any] = {"title": pattern, "name": name, "timeFieldName": "@timestamp"}
    if field_formats:
        attributes["fieldFormatMap"] = json.dumps(field_formats, sort_keys=True)
    return {"id": id_, "type": "index-pattern", "attributes": attributes, "references": []}


def lens(chart: Chart) -> dict[str, Any]:
    """A Lens line chart over time, one line per cluster."""
    if chart.metric == "count":
        value = {"label": "Count", "dataType": "number", "operationType": "count", "sourceField": "___records___", "isBucketed": False}
    else:
        value = {
            "label": "p99 duration_ms",
            "dataType": "number",
            "operationType": "percentile",
            "sourceField": "duration_ms",
            "isBucketed": False,
            "params": {"percentile": 99},
        }
    columns = {
        "cluster": {
            "label": "cluster",
            "dataType": "string",
            "operationType": "terms",
            "sourceField": CLUSTER_FIELD,
            "isBucketed": True,
            "params": {"size": 20, "orderBy": {"type": "column", "columnId": "value"}, "orderDirection": "desc"},
        },
        "time": {
            "label": "@timestamp",
            "dataType": "date",
            "operationType": "date_histogram",
            "sourceField": "@timestamp",
            "isBucketed": True,
            "params": {"interval": "auto"},
        },
        "value": value,
    }
    layer = {
        "layerId": LAYER,
        "layerType": "data",
        "seriesType": "line",
        "xAccessor": "time",
        "splitAccessor": "cluster",
        "accessors": ["value"],
    }
    return {
        "id": chart.id,
        "type": "lens",
        "attributes": {
            "title": chart.title,
            "visualizationType": "lnsXY",
            "state": {
                "datasourceStates": {"formBased": {"layers": {LAYER: {"columns": columns, "columnOrder": ["cluster", "time", "value"]}}}},
                "visualization": {"preferredSeriesType": "line", "legend": {"isVisible": True, "position": "right"}, "layers": [layer]},
                "query": {"query": chart.kql, "language": "kuery"},
                "filters": [],
            },
        },
        "references": [{"type": "index-pattern", "id": LOGS_VIEW, "name": f"indexpattern-datasource-layer-{LAYER}"}],
    }


def search(id_: str, title: str, kql: str, columns: Sequence[str], view: str = LOGS_VIEW) -> dict[str, Any]:
    source = {"query": {"query": kql, "language": "kuery"}, "filter": [], "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index"}
    return {
        "id": id_,
        "type": "search",
        "attributes": {
            "title": title,
            "columns": list(columns),
            "sort": [["@timestamp", "desc"]],
            "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(source)},
        },
        "references": [{"name": "kibanaSavedObjectMeta.searchSourceJSON.index", "type": "index-pattern", "id": view}],
    }


def markdown(id_: str, title: str, text: str) -> dict[str, Any]:
    vis = {"title": title, "type": "markdown", "aggs": [], "params": {"markdown": text, "fontSize": 12, "openLinksInNewTab": False}}
    return {
        "id": id_,
        "type": "visualization",
        "attributes": {
            "title": title,
            "visState": json.dumps(vis),
            "uiStateJSON": "{}",
            "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps({"query": {"query": "", "language": "kuery"}, "filter": []})},
        },
        "references": [],
    }


def dashboard(id_: str, title: str, panels: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Two panels a row, each half the 48-column grid wide."""
    entries = [
        {
            "panelIndex": str(i),
            "gridData": {"x": 24 * (i % 2), "y": 15 * (i // 2), "w": 24, "h": 15, "i": str(i)},
            "type": p["type"],
            "panelRefName": f"panel_{i}",
            "embeddableConfig": {},
        }
        for i, p in enumerate(panels)
    ]
    return {
        "id": id_,
        "type": "dashboard",
        "attributes": {
            "title": title,
            "panelsJSON": json.dumps(entries),
            "optionsJSON": json.dumps({"useMargins": True, "hidePanelTitles": False}),
            "timeRestore": True,
            "timeFrom": "now-24h",
            "timeTo": "now",
            "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps({"query": {"query": "", "language": "kuery"}, "filter": []})},
        },
        "references": [{"name": f"panel_{i}", "type": p["type"], "id": p["id"]} for i, p in enumerate(panels)],
    }


def phrases(words: Sequence[str]) -> str:
    return " or ".join(f'"{w}"' for w in words)


def saved_objects(audit_trail: str, log_field_formats: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every object, each before the objects that refer to it. `log_field_formats`: the logs data view's field
    formats (with tracing, the trace id's link to Jaeger, components/tracing/correlation.py)."""
    namespace = f"(kubernetes.namespace_name : {COLLECTOR_NAMESPACE} or kubernetes.namespace : {COLLECTOR_NAMESPACE})"
    charts = {
        "ingestion": lens(Chart("logmesh-lines-per-cluster", "Documents per cluster", "")),
        "4xx": lens(Chart("logmesh-mesh-4xx", "Mesh 4xx per cluster", "status >= 400 and status < 500")),
        "5xx": lens(Chart("logmesh-mesh-5xx", "Mesh 5xx per cluster", "status >= 500 and status < 600")),
        "latency": lens(Chart("logmesh-mesh-latency", "Mesh p99 latency (ms) per cluster", "duration_ms : *", metric="percentile")),
        "auth": lens(Chart("logmesh-auth-failures", "Authentication failures (401/403) per cluster", "status : (401 or 403)")),
    }
    searches = {
        "retries": search(
            "logmesh-collector-retries",
            "Collector retries",
            f"{namespace} and message : ({phrases(COLLECTOR_RETRY_PATTERNS)})",
            [CLUSTER_FIELD, "message"],
        ),
        "drops": search(
            "logmesh-collector-drops",
            "Collector drops",
            f"{namespace} and message : ({phrases(COLLECTOR_DROP_PATTERNS)})",
            [CLUSTER_FIELD, "message"],
        ),
        "denied": search(
            "logmesh-denied-requests",
            "Denied mesh requests",
            "status : (401 or 403)",
            [CLUSTER_FIELD, "source_identity", "path", "status"],
        ),
        "alerts": search(
            "logmesh-fired-alerts",
            "Fired logmesh alerts",
            "logmesh.status : *",
            ["logmesh.alert", "logmesh.cluster", "logmesh.status", "message"],
            ALERTS_VIEW,
        ),
    }
    trail = markdown("logmesh-audit-trail", "The bucket's own audit trail", audit_trail)
    boards = [
        dashboard("logmesh-ingestion", "logmesh ingestion", [charts["ingestion"], searches["retries"], searches["drops"]]),
        dashboard(
            "logmesh-mesh",
            "logmesh mesh traffic and authentication failures",
            [charts[k] for k in ("4xx", "5xx", "latency", "auth")] + [searches["denied"]],
        ),
        dashboard("logmesh-soc2", "logmesh SOC 2: alerts and access to the log store", [searches["alerts"], searches["denied"], trail]),
    ]
    views = [
        data_view(LOGS_VIEW, f"{ES_INDEX_PREFIX}*", "logmesh logs", log_field_formats),
        data_view(ALERTS_VIEW, ALERT_HISTORY_DATA_STREAM, "logmesh alert history"),
    ]
    return [*views, *charts.values(), *searches.values(), trail, *boards]


def saved_objects_ndjson(audit_trail: str, log_field_formats: dict[str, Any] | None = None) -> str:
    """The body of Kibana's `POST /api/saved_objects/_import`: one object per line."""
    return "".join(json.dumps(o, sort_keys=True) + "\n" for o in saved_objects(audit_trail, log_field_formats))
