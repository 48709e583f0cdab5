"""The alerts logmesh defines for every cluster, their thresholds and where their rule files live.

A leaf module with no Pulumi: the Loki backend mounts the rule ConfigMaps these names give, and the alert
rules component creates them.
"""

from __future__ import annotations

# One ConfigMap per alert and cluster (alert_rules_configmap); on Loki its key `<alert>.yaml` is the rule file the
# ruler reads from its local rule storage as `<LOKI_RULES_DIR>/<tenant>/<file>`.
ALERT_NAMES = ("ingestion-gap", "mesh-auth-spike", "mesh-5xx-spike", "collector-output-errors")
INGESTION_GAP, MESH_AUTH_SPIKE, MESH_5XX_SPIKE, COLLECTOR_OUTPUT_ERRORS = ALERT_NAMES
LOKI_RULES_DIR = "/rules"
# A cluster that sends nothing for this long is silent: every node logs far more often (kubelet, collectors).
INGESTION_GAP_MINUTES = 10
SPIKE_WINDOW_MINUTES = 5
SPIKE_MIN_REQUESTS = 20  # below this many matching requests in the window a ratio is noise
AUTH_FAILURE_RATIO = 0.10
SERVER_ERROR_RATIO = 0.05
# What the collectors log when an output cannot deliver, retries or drops records.
COLLECTOR_ERROR_PATTERNS = (
    "failed to flush chunk",  # Fluent Bit engine
    "cannot be retried",  # Fluent Bit: chunk dropped after Retry_Limit
    "error sending batch",  # Alloy loki.write (will retry / final error)
    "failed to publish events",  # Filebeat output
    "dropping",  # Fluent Bit / Filebeat when a buffer overflows
)
RULE_LABEL = "logmesh.io/alert"


def alert_rules_configmap(alert: str, cluster: str) -> str:
    """The ConfigMap in `logging` that holds one alert rule of one cluster."""
    return f"logmesh-{alert}-{cluster}"


def loki_rule_file(alert: str) -> str:
    return f"{alert}.yaml"


def description(alert: str, cluster: str) -> str:
    return {
        INGESTION_GAP: f"No logs from cluster {cluster} for {INGESTION_GAP_MINUTES} minutes: collector or backend path down.",
        MESH_AUTH_SPIKE: f"Mesh requests in {cluster} denied with 401/403 above {AUTH_FAILURE_RATIO:.0%}: attack or policy break?",
        MESH_5XX_SPIKE: f"Mesh requests in {cluster} failing with 5xx above {SERVER_ERROR_RATIO:.0%}.",
        COLLECTOR_OUTPUT_ERRORS: f"The collector in {cluster} reports output errors, retries or dropped records.",
    }[alert]


def severity(alert: str) -> str:
    return "critical" if alert == INGESTION_GAP else "warning"
