"""The bodies of the alert rules: LogQL rule groups for the Loki ruler, Elasticsearch query rules for Kibana."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from components.alerts.catalog import (
    ANOMALY_BASELINE_HOURS,
    ANOMALY_FACTOR,
    ANOMALY_FLOOR,
    ANOMALY_MIN_MATCHING,
    ANOMALY_MIN_REQUESTS,
    ANOMALY_STATUS,
    ANOMALY_WINDOW_MINUTES,
    AUTH_FAILURE_RATIO,
    COLLECTOR_ERROR_PATTERNS,
    INGESTION_GAP,
    INGESTION_GAP_MINUTES,
    MESH_5XX_ANOMALY,
    MESH_5XX_SPIKE,
    MESH_AUTH_ANOMALY,
    MESH_AUTH_SPIKE,
    SERVER_ERROR_RATIO,
    SPIKE_MIN_REQUESTS,
    SPIKE_WINDOW_MINUTES,
    description,
    runbook_url,
    severity,
    summary,
)
from components.config.schema import ClusterConfig
from components.names import COLLECTOR_NAMESPACE, KIBANA_ALERT_HISTORY_CONNECTOR, data_stream

# --- Loki ---------------------------------------------------------------------------------------------------------


def logql(alert: str, cluster: ClusterConfig) -> str:
    stream = f'{{cluster="{cluster.id}"}}'
    window = f"[{SPIKE_WINDOW_MINUTES}m]"

    def ratio(status: str, threshold: float) -> str:
        matching = f'sum(count_over_time({stream} | status=~"{status}" {window}))'
        requests = f'sum(count_over_time({stream} | status!="" {window}))'
        return f"({matching} / {requests}) > {threshold} and {matching} > {SPIKE_MIN_REQUESTS}"

    if alert in ANOMALY_STATUS:
        return anomaly_logql(stream, ANOMALY_STATUS[alert])
    if alert == INGESTION_GAP:
        return f"absent_over_time({stream}[{INGESTION_GAP_MINUTES}m])"
    if alert == MESH_AUTH_SPIKE:
        return ratio("401|403", AUTH_FAILURE_RATIO)
    if alert == MESH_5XX_SPIKE:
        return ratio("5..", SERVER_ERROR_RATIO)
    collectors = f'{{cluster="{cluster.id}", namespace="{COLLECTOR_NAMESPACE}"}}'
    return f"sum(count_over_time({collectors} |~ `{line_pattern(COLLECTOR_ERROR_PATTERNS)}` [{INGESTION_GAP_MINUTES}m])) > 0"


def line_pattern(phrases: tuple[str, ...]) -> str:
    """A case-insensitive RE2 line filter for any of the phrases."""
    return "(?i)(" + "|".join(phrases) + ")"


def anomaly_logql(stream: str, status: str) -> str:
    """The window's rate of `status` answers against the rate of the day before it (`offset`): LogQL has no subqueries,
    so a z-score over past samples would need recording rules in a Prometheus; a ratio to the baseline needs none.
    A baseline day without such answers has no series: `or vector(0)` makes its rate 0 rather than no result."""
    window = f"[{ANOMALY_WINDOW_MINUTES}m]"
    baseline = f"[{ANOMALY_BASELINE_HOURS}h] offset {ANOMALY_WINDOW_MINUTES}m"

    def count(stage: str, span: str) -> str:
        return f"sum(count_over_time({stream} | {stage} {span}))"

    bad, requests = f'status=~"{status}"', 'status!=""'
    rate_now = f"({count(bad, window)} / {count(requests, window)})"
    rate_baseline = f"(({count(bad, baseline)} or vector(0)) / {count(requests, baseline)})"
    guards = f"{count(requests, window)} >= {ANOMALY_MIN_REQUESTS} and {count(bad, window)} >= {ANOMALY_MIN_MATCHING}"
    return f"{rate_now} > {rate_baseline} * {ANOMALY_FACTOR:g} + {ANOMALY_FLOOR:g} and {guards}"


def rule_annotations(alert: str, cluster: str) -> dict[str, str]:
    return {"summary": summary(alert, cluster), "description": description(alert, cluster), "runbook_url": runbook_url(alert)}


def rule_interval(alert: str) -> str:
    # An anomaly rule reads a day of logs: every 5 minutes is enough for a 15-minute window and spares the queriers.
    return "5m" if alert in ANOMALY_STATUS else "1m"


def loki_rule_group(alert: str, cluster: ClusterConfig) -> dict[str, Any]:
    """One Prometheus-style rule group as the Loki ruler reads it."""
    return {
        "groups": [
            {
                "name": f"logmesh-{alert}",
                "interval": rule_interval(alert),
                "rules": [
                    {
                        "alert": "".join(part.capitalize() for part in f"logmesh-{alert}".split("-")),
                        "expr": logql(alert, cluster),
                        "for": {INGESTION_GAP: "0m", **dict.fromkeys(ANOMALY_STATUS, "10m")}.get(alert, "2m"),
                        "labels": {"severity": severity(alert), "cluster": cluster.id},
                        "annotations": rule_annotations(alert, cluster.id),
                    }
                ],
            }
        ]
    }


# --- Elasticsearch / Kibana ----------------------------------------------------------------------------------------


def es_query(alert: str) -> tuple[dict[str, Any], str, int, int]:
    """(query, comparator, threshold, window minutes) of the Kibana Elasticsearch query rule for `alert`."""
    if alert == INGESTION_GAP:
        return {"match_all": {}}, "<", 1, INGESTION_GAP_MINUTES
    if alert == MESH_AUTH_SPIKE:
        return {"terms": {"status": [401, 403]}}, ">", SPIKE_MIN_REQUESTS, SPIKE_WINDOW_MINUTES
    if alert == MESH_5XX_SPIKE:
        return {"range": {"status": {"gte": 500, "lt": 600}}}, ">", SPIKE_MIN_REQUESTS, SPIKE_WINDOW_MINUTES
    # Fluent Bit (Replace_Dots) and Filebeat name the namespace and the line differently.
    namespace = [{"term": {field: COLLECTOR_NAMESPACE}} for field in ("kubernetes.namespace_name", "kubernetes.namespace")]
    phrases = [{"multi_match": {"query": p, "type": "phrase", "fields": ["log", "message"]}} for p in COLLECTOR_ERROR_PATTERNS]
    query = {"bool": {"filter": [{"bool": {"should": namespace, "minimum_should_match": 1}}], "should": phrases, "minimum_should_match": 1}}
    return query, ">", 0, INGESTION_GAP_MINUTES


def anomaly_esql(alert: str, cluster: ClusterConfig) -> str:
    """The Loki anomaly rule's statistic in ES|QL (free in Basic; Kibana's Elasticsearch query rule runs it, no ML job):
    the rule's time window is the baseline day plus the window, and the query returns a row only when it fires."""
    bad = {MESH_5XX_ANOMALY: "status >= 500 AND status < 600", MESH_AUTH_ANOMALY: "status == 401 OR status == 403"}[alert]
    lines = (
        f"FROM {data_stream(cluster)}",
        "| WHERE status IS NOT NULL",
        f"| EVAL recent = CASE(@timestamp > NOW() - {ANOMALY_WINDOW_MINUTES} minutes, 1, 0), bad = CASE({bad}, 1, 0)",
        "| STATS requests = COUNT(*), bad_all = SUM(bad), requests_now = SUM(recent), bad_now = SUM(recent * bad)",
        "| EVAL rate_now = TO_DOUBLE(bad_now) / requests_now, rate_baseline = TO_DOUBLE(bad_all - bad_now) / (requests - requests_now)",
        f"| WHERE requests_now >= {ANOMALY_MIN_REQUESTS} AND bad_now >= {ANOMALY_MIN_MATCHING} "
        f"AND rate_now > rate_baseline * {ANOMALY_FACTOR:g} + {ANOMALY_FLOOR:g}",
        "| KEEP rate_now, rate_baseline, requests_now, bad_now",
    )
    return "\n".join(lines)


def kibana_params(alert: str, cluster: ClusterConfig) -> dict[str, Any]:
    """The `.es-query` rule's params: an ES|QL query for the anomaly rules, a query DSL count for the others."""
    common = {"index": [data_stream(cluster)], "timeField": "@timestamp", "size": 0, "timeWindowUnit": "m"}
    if alert in ANOMALY_STATUS:
        return {
            **common,
            "searchType": "esqlQuery",
            "esqlQuery": {"esql": anomaly_esql(alert, cluster)},
            "threshold": [0],
            "thresholdComparator": ">",
            "timeWindowSize": ANOMALY_BASELINE_HOURS * 60 + ANOMALY_WINDOW_MINUTES,
        }
    query, comparator, threshold, minutes = es_query(alert)
    return {
        **common,
        "searchType": "esQuery",
        "esQuery": json.dumps({"query": query}),
        "threshold": [threshold],
        "thresholdComparator": comparator,
        "timeWindowSize": minutes,
    }


def kibana_rule_id(alert: str, cluster: ClusterConfig) -> str:
    """A stable id for the rule, so the Job updates rather than duplicates it. Kibana accepts only UUID v1 or v4 ids
    (create rule API), so the id is a v4-format UUID made from a hash of the rule's name."""
    digest = hashlib.sha256(f"logmesh/{alert}/{cluster.id}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


# Action groups of Kibana's Elasticsearch query rule (`.es-query`).
KIBANA_FIRED_GROUP = "query matched"
KIBANA_RECOVERED_GROUP = "recovered"


def kibana_actions(alert: str, cluster: ClusterConfig) -> list[dict[str, Any]]:
    """One alert-history document when the rule fires and one when it recovers (Kibana renders the mustache)."""

    def record(group: str, status: str) -> dict[str, Any]:
        document = {
            "event": {"kind": "alert", "dataset": "logmesh.alerts"},
            "logmesh": {
                "alert": alert,
                "cluster": cluster.id,
                "status": status,
                "summary": summary(alert, cluster.id),
                "runbook_url": runbook_url(alert),
            },
            "rule": {"id": "{{rule.id}}", "name": "{{rule.name}}"},
            "message": "{{context.message}}" if status == "firing" else f"recovered: {description(alert, cluster.id)}",
            "labels": {"severity": severity(alert), "cluster": cluster.id},
        }
        return {
            "id": KIBANA_ALERT_HISTORY_CONNECTOR,
            "group": group,
            "params": {"documents": [document]},
            "frequency": {"summary": False, "notify_when": "onActionGroupChange", "throttle": None},
        }

    return [record(KIBANA_FIRED_GROUP, "firing"), record(KIBANA_RECOVERED_GROUP, "resolved")]


def kibana_rule(alert: str, cluster: ClusterConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    """The rule's create body (POST /api/alerting/rule/<id>) and update body (PUT, without the immutable keys)."""
    update = {
        "name": f"logmesh {alert} {cluster.id}",
        "tags": ["logmesh", f"logmesh:{alert}", f"cluster:{cluster.id}"],
        "schedule": {"interval": rule_interval(alert)},
        "params": kibana_params(alert, cluster),
        "actions": kibana_actions(alert, cluster),
    }
    return {"rule_type_id": ".es-query", "consumer": "stackAlerts", "enabled": True, **update}, update
