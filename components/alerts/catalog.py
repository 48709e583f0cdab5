"""The alerts logmesh defines for every cluster, their thresholds and where their rule files live.

A leaf module with no Pulumi: the Loki backend mounts the rule ConfigMaps these names give, and the alert
rules component creates them.
"""

from __future__ import annotations

# One ConfigMap per cluster (alert_rules_configmap) holds every alert's rule: on Loki the key `<alert>.yaml` is the rule
# file the ruler reads from its local rule storage as `<LOKI_RULES_DIR>/<tenant>/<file>`; on ELK the keys
# `<alert>.create.json` and `<alert>.update.json` are the Kibana API bodies (kibana_rule_key).
ALERT_NAMES = ("ingestion-gap", "mesh-auth-spike", "mesh-5xx-spike", "collector-output-errors", "mesh-5xx-anomaly", "mesh-auth-anomaly")
INGESTION_GAP, MESH_AUTH_SPIKE, MESH_5XX_SPIKE, COLLECTOR_OUTPUT_ERRORS, MESH_5XX_ANOMALY, MESH_AUTH_ANOMALY = ALERT_NAMES
# The AWS store's own alert on its CloudTrail trail (components/storage/trail_alerts.py): an EventBridge rule, not a
# backend rule, so it is not in ALERT_NAMES; it has its runbook like every alert.
TRAIL_TAMPERING = "trail-tampering"
LOKI_RULES_DIR = "/rules"
# A cluster that sends nothing for this long is silent: every node logs far more often (kubelet, collectors).
INGESTION_GAP_MINUTES = 10
SPIKE_WINDOW_MINUTES = 5
SPIKE_MIN_REQUESTS = 20  # below this many matching requests in the window a ratio is noise
AUTH_FAILURE_RATIO = 0.10
SERVER_ERROR_RATIO = 0.05
# What the collectors log when an output cannot deliver and retries, and when it gives up or drops records.
COLLECTOR_RETRY_PATTERNS = (
    "failed to flush chunk",  # Fluent Bit engine (retried)
    "error sending batch",  # Alloy loki.write (will retry / final error)
    "failed to publish events",  # Filebeat output (retried)
)
COLLECTOR_DROP_PATTERNS = (
    "cannot be retried",  # Fluent Bit: chunk dropped after Retry_Limit
    "dropping",  # Fluent Bit / Filebeat when a buffer overflows
)
COLLECTOR_ERROR_PATTERNS = (*COLLECTOR_RETRY_PATTERNS, *COLLECTOR_DROP_PATTERNS)
# Statistical detection (docs/alerts.md#statistical-detection): the window's rate of 5xx or 401/403 answers against
# the cluster's own rate over the day before the window. It fires when the window's rate is above FACTOR times the
# baseline rate and FLOOR above it, and only with enough traffic in the window (the volume guard).
ANOMALY_WINDOW_MINUTES = 15
ANOMALY_BASELINE_HOURS = 24
ANOMALY_FACTOR = 3.0
ANOMALY_FLOOR = 0.02  # 0.1% -> 0.4% triples the rate but is no incident
ANOMALY_MIN_REQUESTS = 200  # fewer requests in the window: the cluster is too quiet for a rate to mean anything
ANOMALY_MIN_MATCHING = 20  # fewer matching answers in the window: too few to page on
ANOMALY_STATUS = {MESH_5XX_ANOMALY: "5..", MESH_AUTH_ANOMALY: "401|403"}
# The two bodies of a Kibana rule: POST to create it, PUT to update it (components/alerts/assets/apply-kibana-rules.sh).
KIBANA_RULE_BODIES = ("create", "update")
# Every alert's runbook: one anchor per alert in this page (tests/docs checks that each exists).
RUNBOOK_PAGE = "docs/runbooks.md"


def alert_rules_configmap(cluster: str) -> str:
    """The ConfigMap in `logging` that holds every alert rule of one cluster."""
    return f"logmesh-alerts-{cluster}"


def loki_rule_file(alert: str) -> str:
    return f"{alert}.yaml"


def kibana_rule_key(alert: str, body: str) -> str:
    """The key of one of an alert's Kibana API bodies (KIBANA_RULE_BODIES) in its cluster's rule ConfigMap."""
    return f"{alert}.{body}.json"


def runbook_url(alert: str) -> str:
    return f"{RUNBOOK_PAGE}#{alert}"


def summary(alert: str, cluster: str) -> str:
    """One line for the notification's title."""
    return {
        INGESTION_GAP: f"{cluster}: no logs arrive",
        MESH_AUTH_SPIKE: f"{cluster}: many mesh requests denied (401/403)",
        MESH_5XX_SPIKE: f"{cluster}: many mesh requests fail (5xx)",
        COLLECTOR_OUTPUT_ERRORS: f"{cluster}: the collector fails to deliver logs",
        MESH_5XX_ANOMALY: f"{cluster}: 5xx rate far above its own baseline",
        MESH_AUTH_ANOMALY: f"{cluster}: 401/403 rate far above its own baseline",
        TRAIL_TAMPERING: f"{cluster}: the log store's audit trail was stopped, deleted or changed",
    }[alert]


# What an anomaly alert's description says of its statistic (the same for every cluster).
_ANOMALY_TEXT = (
    f"in the last {ANOMALY_WINDOW_MINUTES} minutes above {ANOMALY_FACTOR:g} times the rate of the {ANOMALY_BASELINE_HOURS} "
    f"hours before (and {ANOMALY_FLOOR:.0%} above it), with at least {ANOMALY_MIN_REQUESTS} requests in the window"
)


def description(alert: str, cluster: str) -> str:
    return {
        INGESTION_GAP: f"No logs from cluster {cluster} for {INGESTION_GAP_MINUTES} minutes: collector or backend path down.",
        MESH_AUTH_SPIKE: f"Mesh requests in {cluster} denied with 401/403 above {AUTH_FAILURE_RATIO:.0%}: attack or policy break?",
        MESH_5XX_SPIKE: f"Mesh requests in {cluster} failing with 5xx above {SERVER_ERROR_RATIO:.0%}.",
        COLLECTOR_OUTPUT_ERRORS: f"The collector in {cluster} reports output errors, retries or dropped records.",
        MESH_5XX_ANOMALY: f"The share of mesh requests in {cluster} failing with 5xx is {_ANOMALY_TEXT}.",
        MESH_AUTH_ANOMALY: f"The share of mesh requests in {cluster} denied with 401/403 is {_ANOMALY_TEXT}.",
        TRAIL_TAMPERING: f"A CloudTrail call stopped, deleted or changed the trail {cluster} records its store's access with.",
    }[alert]


def severity(alert: str) -> str:
    return "critical" if alert == INGESTION_GAP else "warning"
