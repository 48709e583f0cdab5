"""An ELK cluster whose ingestion-gap alert is a Kibana Elasticsearch-query rule kept in a ConfigMap (applied
through Kibana's alerting API), and whose collector is an ECK Beat."""

import json

import pulumi
import pulumi_kubernetes as k8s

cluster = pulumi.ResourceOptions(provider=k8s.Provider("elk-cluster", context="elk"))
k8s.apiextensions.CustomResource(
    "filebeat",
    api_version="beat.k8s.elastic.co/v1beta1",
    kind="Beat",
    metadata={"namespace": "collectors", "name": "filebeat"},
    spec={"type": "filebeat", "version": "8.19.0", "elasticsearchRef": {"name": "logs", "namespace": "logging"}},
    opts=cluster,
)
rule = {
    "rule_type_id": ".es-query",
    "consumer": "stackAlerts",
    "name": "logmesh ingestion-gap elk",
    "schedule": {"interval": "1m"},
    "params": {
        "searchType": "esQuery",
        "index": ["logs-elk"],
        "timeField": "@timestamp",
        "esQuery": '{"query": {"match_all": {}}}',
        "size": 0,
        "threshold": [1],
        "thresholdComparator": "<",
        "timeWindowSize": 15,
        "timeWindowUnit": "m",
    },
}
k8s.core.v1.ConfigMap("ingestion-gap-rule", metadata={"namespace": "logging"}, data={"create.json": json.dumps(rule)}, opts=cluster)
