"""The documents the ELK backend configures Elasticsearch and Kibana with: ILM, the index template, the snapshot
repository on the store's bucket, SLM, and Kibana's preconfigured connectors."""

from __future__ import annotations

from typing import Any

from components.names import ALERT_HISTORY_DATA_STREAM, ES_INDEX_PREFIX, KIBANA_ALERT_HISTORY_CONNECTOR, TRACE_INDEX_PREFIX


def kibana_preconfigured_connectors() -> dict[str, Any]:
    """The Index connector every Kibana rule records its alerts with. Kibana can call an Alertmanager only through a
    Webhook connector, which needs a paid (Gold or higher) licence; on Basic this is the notification that works."""
    return {
        KIBANA_ALERT_HISTORY_CONNECTOR: {
            "name": "logmesh alert history",
            "actionTypeId": ".index",
            "config": {"index": ALERT_HISTORY_DATA_STREAM, "executionTimeField": "@timestamp", "refresh": False},
        }
    }


def ilm_policy(retention_days: int) -> dict[str, Any]:
    return {
        "policy": {
            "_meta": {"managed_by": "logmesh"},
            "phases": {
                "hot": {"min_age": "0ms", "actions": {"rollover": {"max_primary_shard_size": "50gb", "max_age": "1d"}}},
                "delete": {"min_age": f"{retention_days}d", "actions": {"delete": {}}},
            },
        }
    }


def trace_ilm_policy(delete_days: int) -> dict[str, Any]:
    """Jaeger's daily span and service indices (no write alias, so no rollover): deleted at `delete_days` from
    creation (RetentionPlan.daily_index_delete_days). Jaeger's own index templates name it (setup_job.py)."""
    return {
        "policy": {
            "_meta": {"managed_by": "logmesh"},
            "phases": {
                "hot": {"min_age": "0ms", "actions": {}},
                "delete": {"min_age": f"{delete_days}d", "actions": {"delete": {}}},
            },
        }
    }


def index_template(replicas: int) -> dict[str, Any]:
    # Priority above the built-in `logs` template (100), which matches logs-*-* too.
    return {
        "index_patterns": [f"{ES_INDEX_PREFIX}*"],
        "data_stream": {},
        "priority": 200,
        "template": {"settings": {"index.lifecycle.name": "logmesh-logs", "index.number_of_replicas": replicas}},
        "_meta": {"managed_by": "logmesh"},
    }


def snapshot_repository(cloud: str, bucket: str, base_path: str) -> dict[str, Any]:
    # repository-s3 has no KMS setting, and `server_side_encryption: true` would send SSE-S3 and override the
    # bucket's SSE-KMS default: leave it unset. GCS encrypts with the bucket's default CMEK.
    return {"type": "s3" if cloud == "aws" else "gcs", "settings": {"bucket": bucket, "base_path": base_path}}


def slm_policy(retention_days: int, traces: bool = False) -> dict[str, Any]:
    """Nightly snapshots to the store's bucket; with tracing, Jaeger's span indices too (archived as logs are)."""
    indices = [f"{ES_INDEX_PREFIX}*", *([f"{TRACE_INDEX_PREFIX}-jaeger-*"] if traces else [])]
    return {
        "schedule": "0 30 1 * * ?",
        "name": "<logmesh-{now/d}>",
        "repository": "logmesh-archive",
        "config": {"indices": indices, "include_global_state": False},
        # Snapshot deletes on a versioned, locked bucket leave the locked versions behind until the archive ends.
        "retention": {"expire_after": f"{retention_days}d"},
    }
