"""The Grafana dashboards provisioned beside each Loki store, generated from data: ingestion (per cluster and tenant,
collector retries and drops), mesh traffic (4xx/5xx, latency, authentication failures) and a SOC 2 view (who read or
wrote the store through its gateway, denied calls, and where the cloud audit trail of the bucket is).

Pure: dashboard JSON in Grafana's model (schemaVersion 41), no Pulumi. components/backends/grafana.py mounts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from components.alerts.catalog import COLLECTOR_DROP_PATTERNS, COLLECTOR_RETRY_PATTERNS
from components.alerts.rules import line_pattern
from components.names import BACKEND_NAMESPACE, COLLECTOR_NAMESPACE

SCHEMA_VERSION = 41
CLUSTER = '{cluster=~"$cluster"}'
WINDOW = "[$__auto]"
# The Loki chart's gateway logs every call in nginx's `main` format (loki 18.11.0 values gateway.nginxConfig.logFormat):
# address, the basic-auth user, status, then the request line.
GATEWAY_LINE = r'regexp `^(?P<client>\S+) - (?P<user>\S+) \[[^\]]*\]\s+(?P<code>\d{3}) "(?P<method>\S+) (?P<uri>[^ ?]+)`'
READ_PATHS = "/loki/api/v1/(query|query_range|series|labels?|.*values)"
GATEWAY = f'{{namespace="{BACKEND_NAMESPACE}"}} |= "/loki/api/v1/" | {GATEWAY_LINE}'


@dataclass(frozen=True)
class Query:
    legend: str
    expr: str


@dataclass(frozen=True)
class Panel:
    title: str
    queries: tuple[Query, ...]
    kind: str = "timeseries"  # or "table", "text"
    unit: str = "short"
    width: int = 12
    text: str = ""


def by_cluster(stages: str, what: str = "count_over_time", window: str = WINDOW, group: str = "cluster") -> str:
    return f"sum by ({group}) ({what}({CLUSTER}{stages} {window}))"


def collector_lines(collectors: str, phrases: tuple[str, ...]) -> str:
    return f"sum by (cluster) (count_over_time({collectors} |~ `{line_pattern(phrases)}` {WINDOW}))"


def ingestion() -> tuple[Panel, ...]:
    collectors = f'{{cluster=~"$cluster", namespace="{COLLECTOR_NAMESPACE}"}}'
    return (
        Panel("Lines per cluster", (Query("{{cluster}}", by_cluster("")),)),
        Panel("Bytes per cluster", (Query("{{cluster}}", by_cluster("", "bytes_over_time")),), unit="bytes"),
        # Grafana reads every tenant of the store at once; Loki labels each series with the tenant it came from.
        Panel("Lines per tenant", (Query("{{__tenant_id__}}", by_cluster("", group="__tenant_id__")),)),
        Panel("Lines per namespace", (Query("{{cluster}}/{{namespace}}", by_cluster("", group="cluster, namespace")),)),
        Panel(
            "Collector retries and drops",
            (
                Query("{{cluster}} retries", collector_lines(collectors, COLLECTOR_RETRY_PATTERNS)),
                Query("{{cluster}} drops", collector_lines(collectors, COLLECTOR_DROP_PATTERNS)),
            ),
            width=24,
        ),
    )


def mesh() -> tuple[Panel, ...]:
    def status(pattern: str) -> str:
        return by_cluster(f' | status=~"{pattern}"')

    latency = f'{CLUSTER} | duration_ms!="" | unwrap duration_ms | __error__=""'
    requests, denied, failed = ' | status!=""', ' | status=~"401|403"', ' | status=~"5.."'
    return (
        Panel("Mesh requests", (Query("{{cluster}}", by_cluster(requests)),)),
        Panel("4xx and 5xx", (Query("{{cluster}} 4xx", status("4..")), Query("{{cluster}} 5xx", status("5..")))),
        Panel("5xx share", (Query("{{cluster}}", f"{status('5..')} / {by_cluster(requests)}"),), unit="percentunit"),
        Panel(
            "Latency (p50, p99)",
            tuple(Query(f"{{{{cluster}}}} p{q}", f"quantile_over_time(0.{q}, {latency} {WINDOW}) by (cluster)") for q in (50, 99)),
            unit="ms",
        ),
        Panel("Authentication failures (401/403)", (Query("{{cluster}}", status("401|403")),)),
        Panel(
            "Denied callers (401/403, top 10)",
            (Query("", f"topk(10, {by_cluster(denied, window='[$__range]', group='cluster, source_identity, path')})"),),
            kind="table",
        ),
        Panel(
            "Failing upstreams (5xx, top 10)",
            (Query("", f"topk(10, {by_cluster(failed, window='[$__range]', group='cluster, upstream')})"),),
            kind="table",
            width=24,
        ),
    )


def soc2(audit_trail: str) -> tuple[Panel, ...]:
    def gateway(stage: str, group: str) -> str:
        return f"sum by ({group}) (count_over_time({GATEWAY}{stage} [$__range]))"

    return (
        Panel(
            "Who read the store (queries per user)",
            (Query("", gateway(f' | uri=~"{READ_PATHS}"', "user")),),
            kind="table",
        ),
        Panel("Who wrote to the store (pushes per user)", (Query("", gateway(' | uri="/loki/api/v1/push"', "user")),), kind="table"),
        Panel("Denied calls at the gateway (401/403)", (Query("", gateway(' | code=~"401|403"', "client, user, uri")),), kind="table"),
        Panel("Gateway calls over time", (Query("{{user}} {{code}}", f"sum by (user, code) (count_over_time({GATEWAY} {WINDOW}))"),)),
        Panel("The bucket's own audit trail", (), kind="text", width=24, text=audit_trail),
    )


def dashboard(uid: str, title: str, panels: Sequence[Panel], datasource_uid: str) -> dict[str, Any]:
    datasource = {"type": "loki", "uid": datasource_uid}
    placed: list[dict[str, Any]] = []
    x = y = 0
    for number, panel in enumerate(panels, start=1):
        if x + panel.width > 24:
            x, y = 0, y + 8
        placed.append(_panel(number, panel, datasource, {"x": x, "y": y, "w": panel.width, "h": 8}))
        x += panel.width
    return {
        "uid": uid,
        "title": title,
        "tags": ["logmesh"],
        "timezone": "utc",
        "editable": False,
        "schemaVersion": SCHEMA_VERSION,
        "time": {"from": "now-24h", "to": "now"},
        "refresh": "1m",
        "templating": {
            "list": [
                {
                    "type": "query",
                    "name": "cluster",
                    "label": "Cluster",
                    "datasource": datasource,
                    "query": "label_values(cluster)",
                    "refresh": 2,
                    "includeAll": True,
                    "multi": True,
                    "allValue": ".+",
                    "current": {"text": "All", "value": "$__all"},
                }
            ]
        },
        "panels": placed,
    }


def _panel(number: int, panel: Panel, datasource: dict[str, str], grid: dict[str, int]) -> dict[str, Any]:
    body: dict[str, Any] = {"id": number, "type": panel.kind, "title": panel.title, "gridPos": grid}
    if panel.kind == "text":
        return {**body, "options": {"mode": "markdown", "content": panel.text}}
    instant = panel.kind == "table"
    targets = [
        {
            "refId": chr(ord("A") + i),
            "datasource": datasource,
            "expr": q.expr,
            "legendFormat": q.legend,
            "queryType": "instant" if instant else "range",
        }
        for i, q in enumerate(panel.queries)
    ]
    return {**body, "datasource": datasource, "targets": targets, "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []}}


def audit_trail_text(cloud: str, trail: str, bucket: str) -> str:
    """Where the reads and writes of the store's bucket are recorded: the cloud's own audit trail, outside Loki."""
    if cloud == "aws":
        return (
            f"Every read and write of the objects of `{bucket}` is a CloudTrail data event of the trail `{trail}`, "
            "delivered to the store's access-logs bucket under `cloudtrail/` (the trail-tampering alert watches it): "
            f"`aws cloudtrail lookup-events` shows management calls; query the data events with Athena over that prefix."
        )
    return (
        f"Every read and write of `{bucket}` is a Data Access audit log entry of `storage.googleapis.com` in Cloud "
        f'Logging: `gcloud logging read \'protoPayload.serviceName="storage.googleapis.com" AND resource.labels.bucket_name="{bucket}"\'`.'
    )


def grafana_dashboards(datasource_uid: str, audit_trail: str) -> dict[str, dict[str, Any]]:
    """File name in the provisioning folder -> dashboard JSON."""
    return {
        "logmesh-ingestion.json": dashboard("logmesh-ingestion", "logmesh ingestion", ingestion(), datasource_uid),
        "logmesh-mesh.json": dashboard("logmesh-mesh", "logmesh mesh traffic and authentication failures", mesh(), datasource_uid),
        "logmesh-soc2.json": dashboard("logmesh-soc2", "logmesh SOC 2: access to the log store", soc2(audit_trail), datasource_uid),
    }
