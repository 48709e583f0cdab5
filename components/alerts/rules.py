"""The bodies of the alert rules: LogQL rule groups for the Loki ruler, Elasticsearch query rules for Kibana."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from components.alerts.catalog import (
    AUTH_FAILURE_RATIO,
    COLLECTOR_ERROR_PATTERNS,
    INGESTION_GAP,
    INGESTION_GAP_MINUTES,
    MESH_5XX_SPIKE,
    MESH_AUTH_SPIKE,
    SERVER_ERROR_RATIO,
    SPIKE_MIN_REQUESTS,
    SPIKE_WINDOW_MINUTES,
    description,
    severity,
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

    if alert == INGESTION_GAP:
        return f"absent_over_time({stream}[{INGESTION_GAP_MINUTES}m])"
    if alert == MESH_AUTH_SPIKE:
        return ratio("401|403", AUTH_FAILURE_RATIO)
    if alert == MESH_5XX_SPIKE:
        return ratio("5..", SERVER_ERROR_RATIO)
    collectors = f'{{cluster="{cluster.id}", namespace="{COLLECTOR_NAMESPACE}"}}'
    pattern = "(?i)(" + "|".join(COLLECTOR_ERROR_PATTERNS) + ")"
    return f"sum(count_over_time({collectors} |~ `{pattern}` [{INGESTION_GAP_MINUTES}m])) > 0"


def loki_rule_group(alert: str, cluster: ClusterConfig) -> dict[str, Any]:
    """One Prometheus-style rule group as the Loki ruler reads it."""
    return {
        "groups": [
            {
                "name": f"logmesh-{alert}",
                "interval": "1m",
                "rules": [
                    {
                        "alert": "".join(part.capitalize() for part in f"logmesh-{alert}".split("-")),
                        "expr": logql(alert, cluster),
                        "for": "0m" if alert == INGESTION_GAP else "2m",
                        "labels": {"severity": severity(alert), "cluster": cluster.id},
                        "annotations": {"summary": description(alert, cluster.id)},
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
            "logmesh": {"alert": alert, "cluster": cluster.id, "status": status},
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
    query, comparator, threshold, minutes = es_query(alert)
    update = {
        "name": f"logmesh {alert} {cluster.id}",
        "tags": ["logmesh", f"logmesh:{alert}", f"cluster:{cluster.id}"],
        "schedule": {"interval": "1m"},
        "params": {
            "searchType": "esQuery",
            "index": [data_stream(cluster)],
            "timeField": "@timestamp",
            "esQuery": json.dumps({"query": query}),
            "size": 0,
            "threshold": [threshold],
            "thresholdComparator": comparator,
            "timeWindowSize": minutes,
            "timeWindowUnit": "m",
        },
        "actions": kibana_actions(alert, cluster),
    }
    return {"rule_type_id": ".es-query", "consumer": "stackAlerts", "enabled": True, **update}, update
