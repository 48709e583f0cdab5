"""Names more than one component relies on: namespaces, tenants and data streams, Secret and ConfigMap names, labels.

A backend creates these objects and a collector, the alert rules or a policy finds them by name, so each name has
this one home. No Pulumi here: the names are plain data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from components.config.schema import ClusterConfig

# --- namespaces ------------------------------------------------------------------------------------------------

BACKEND_NAMESPACE = "logging"
COLLECTOR_NAMESPACE = "collectors"
ECK_OPERATOR_NAMESPACE = "elastic-system"

# --- labels ----------------------------------------------------------------------------------------------------

# Every Kubernetes object the backends and the mesh configuration create carries this label.
MANAGED_BY_LABELS = {"app.kubernetes.io/managed-by": "logmesh"}
# Pods of the Job components/alerts/component.py runs against Kibana's API; the backend's network policy lets
# exactly these pods reach Kibana.
ALERT_RULES_LABELS = {"app.kubernetes.io/part-of": "logmesh", "app.kubernetes.io/component": "alert-rules"}
CLUSTER_LABEL = "logmesh.io/cluster"
STORE_LABEL = "logmesh.io/store"

# --- tenants and data streams ----------------------------------------------------------------------------------

# Every data stream the collectors write and the Elasticsearch index template matches starts with this.
ES_INDEX_PREFIX = "logs-logmesh-"
# Kibana's preconfigured Index connector (free in the Basic tier): every Kibana rule records its fired and recovered
# alerts in this data stream, which the `logs-logmesh-*` template gives ILM (deleted after hot_days) and SLM
# (archived to the store bucket). Cluster names are DNS labels, so no cluster's own stream has a dot.
KIBANA_ALERT_HISTORY_CONNECTOR = "logmesh-alert-history"
ALERT_HISTORY_DATA_STREAM = "logs-logmesh-alerts.fired"


# Where Loki's compactor keeps its retention deletion markers, in the chunks bucket (Loki 3.7
# `compactor.deletion_marker_object_store_prefix`; it must end with `/`). Tenants are cluster names, DNS labels, which
# cannot contain `_`: no tenant's chunk prefix, and so no lifecycle rule, can match it.
LOKI_DELETION_MARKER_PREFIX = "loki_deletion_markers/"


def tenant(cluster: ClusterConfig) -> str:
    """Loki tenant (X-Scope-OrgID) of a cluster's logs: one tenant per cluster."""
    return cluster.id


def data_stream(cluster: ClusterConfig, prefix: str = ES_INDEX_PREFIX) -> str:
    """Elasticsearch data stream of a cluster's logs: `logs-<dataset>-<namespace>` with the cluster as namespace."""
    return f"{prefix or ES_INDEX_PREFIX}{cluster.id}"


# --- Secrets and ConfigMaps in the backend namespace ------------------------------------------------------------

LOKI_GATEWAY_TLS_SECRET = "loki-gateway-tls"
LOKI_GATEWAY_HTPASSWD_SECRET = "loki-gateway-htpasswd"
LOKI_COLLECTOR_SECRET = "loki-collector-credentials"
GRAFANA_ADMIN_SECRET = "grafana-admin"
GRAFANA_DATASOURCE_SECRET = "grafana-datasource-loki"
GRAFANA_DASHBOARDS_CONFIGMAP = "logmesh-grafana-dashboards"


def data_events_trail(environment: str, store: str) -> str:
    """The AWS store's CloudTrail trail of its bucket's data events (components/storage/aws.py)."""
    return f"logmesh-{environment}-{store}-data-events"


# The Secret with the Alertmanager credential (bearer token, or base64 of user:password) the ruler reads as a file.
ALERTMANAGER_CREDENTIALS_SECRET = "loki-alertmanager-credentials"
ELASTICSEARCH_HTTP_TLS_SECRET = "elasticsearch-http-tls"
ELASTICSEARCH_COLLECTOR_SECRET = "elasticsearch-collector"
ELASTICSEARCH_ROLES_SECRET = "elasticsearch-roles"

# Tracing (components/tracing/): the Jaeger release's serving certificate with the CA its receivers verify clients
# against; each sending cluster's client certificate (namespaces of the mesh proxies, or the linkerd-jaeger
# collector); Jaeger's Elasticsearch user (ELK); the Grafana Jaeger datasource file.
JAEGER_TLS_SECRET = "jaeger-tls"
JAEGER_CLIENT_TLS_SECRET = "jaeger-client-tls"
JAEGER_ES_USER_SECRET = "elasticsearch-jaeger"
# Jaeger's span and service indices (`<prefix>-jaeger-span-YYYY-MM-DD`): outside `logs-logmesh-*`, whose template
# makes every index a data stream, which Jaeger's index writes cannot use.
TRACE_INDEX_PREFIX = "logmesh-traces"
TRACE_ILM_POLICY = "logmesh-traces"  # the span and service indices' lifecycle (components/backends/elk_documents.py)

# ECK names its objects after the Elasticsearch and Kibana resources: `<name>-es-http`, `<name>-es-elastic-user`,
# `<name>-kb-http`, `<name>-kb-http-certs-public`.
ES_NAME = "logmesh"
ES_HTTP_SERVICE = f"{ES_NAME}-es-http"
ES_ELASTIC_USER_SECRET = f"{ES_NAME}-es-elastic-user"
KIBANA_NAME = "logmesh"
KIBANA_HTTP_SERVICE = f"{KIBANA_NAME}-kb-http"
KIBANA_CA_SECRET = f"{KIBANA_NAME}-kb-http-certs-public"
