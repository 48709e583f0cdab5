"""Every chart and image version logmesh deploys, in one place.

Loki and Grafana moved to grafana-community in March 2026; the chart left in grafana/loki is Grafana Enterprise
Logs. ECK 3.5.0 is the only 3.5 release tagged upstream. Loki 3.7.6 (the Loki chart's appVersion) sends a checksum
with every PutObject, which an S3 bucket with Object Lock requires; 3.6.0-3.7.1 do not (grafana/loki issue 20088,
fixed in 3.7.2): never pin an older Loki image.
"""

from __future__ import annotations

from components.kubernetes import Chart

LOKI_CHART = Chart("loki", "18.11.0", "https://grafana-community.github.io/helm-charts")
GRAFANA_CHART = Chart("grafana", "12.11.1", "https://grafana-community.github.io/helm-charts")
ECK_OPERATOR_CHART = Chart("eck-operator", "3.5.0", "https://helm.elastic.co")
FLUENT_BIT_CHART = Chart("fluent-bit", "0.58.1", "https://fluent.github.io/helm-charts")
ALLOY_CHART = Chart("alloy", "1.11.1", "https://grafana.github.io/helm-charts")
# fluent/helm-charts `fluentd` 0.6.0 (appVersion 1.19.3), the aggregation tier's chart.
FLUENTD_CHART = Chart("fluentd", "0.6.0", "https://fluent.github.io/helm-charts")
# The tier's image per backend: the chart's own image (its default tag for variant elasticsearch8) and, for Loki,
# Grafana's Fluentd image with fluent-plugin-grafana-loki: no fluentd-kubernetes-daemonset variant carries that plugin
# (fluent/fluentd-kubernetes-daemonset issue 586). Grafana's image is built by grafana/loki's CI; its tag here is not
# verified offline: check it exists (and pin its digest) before a first deploy. (repository, tag)
FLUENTD_IMAGES = {
    "elk": ("fluent/fluentd-kubernetes-daemonset", "v1.19.3-debian-elasticsearch8-1.1"),
    "loki": ("grafana/fluent-plugin-loki", "3.5.0"),
}
# jaegertracing/helm-charts: the 4.x charts deploy Jaeger v2 (4.11.1: appVersion 2.19.0). The repository's index
# publishes sha256 120aad01641b88fd73fb097cd63af94aac4e9d49115877f5f63b52b86b512180 for this archive, which
# `python -m preflight charts` checks.
JAEGER_CHART = Chart("jaeger", "4.11.1", "https://jaegertracing.github.io/helm-charts")
# The chart's appVersion image: the ES setup Job runs its `elasticsearch-mappings` to render Jaeger's index templates.
JAEGER_IMAGE = "jaegertracing/jaeger:2.19.0"

ELASTIC_STACK_VERSION = "9.4.3"  # the version ECK 3.5.0's own samples deploy
# ECK deploys Filebeat at the backend's Elastic Stack version.
FILEBEAT_VERSION = ELASTIC_STACK_VERSION

# Both Jobs that configure Elasticsearch and Kibana through their APIs (the setup Job, the Kibana alert rules) run curl.
CURL_IMAGE = "curlimages/curl:8.16.0"
