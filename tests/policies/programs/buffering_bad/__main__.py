"""Collectors and aggregation tiers with one unbounded (or unparsable, or too large) buffer each, named for the flaw and
written the ways teams write them. `alloy-wal` and `fluent-bit-memory-limited` are sound and must not be flagged."""

import pulumi
import pulumi_kubernetes as k8s

cluster = k8s.Provider("main-cluster", context="main")
a = pulumi.ResourceOptions(provider=cluster)
FLUENT_BIT = {"chart": "fluent-bit", "version": "0.58.1", "repository_opts": {"repo": "https://fluent.github.io/helm-charts"}}
FLUENTD = {"chart": "fluentd", "version": "0.6.0", "repository_opts": {"repo": "https://fluent.github.io/helm-charts"}}
LOGSTASH = {"api_version": "logstash.k8s.elastic.co/v1alpha1", "kind": "Logstash"}
OUTPUT = "[OUTPUT]\n    Name loki\n    Match *\n    Host loki.example.com\n    tls On\n"

# Memory-only buffering (the default storage.type) and no Mem_Buf_Limit: the input grows until the pod is OOM-killed.
k8s.helm.v3.Release(
    "fluent-bit-memory-unbounded",
    namespace="collectors",
    values={"config": {"inputs": "[INPUT]\n    Name tail\n    Path /var/log/containers/*.log\n    Tag kube.*\n", "outputs": OUTPUT}},
    **FLUENT_BIT,
    opts=a,
)
k8s.helm.v3.Release(
    "fluent-bit-memory-limited",
    namespace="collectors",
    values={"config": {"inputs": "[INPUT]\n    Name tail\n    Mem_Buf_Limit 5MB\n", "outputs": OUTPUT}},
    **FLUENT_BIT,
    opts=a,
)
# A filesystem-buffered input, and the output's filesystem queue has no storage.total_limit_size.
k8s.helm.v3.Release(
    "fluent-bit-output-unbounded",
    namespace="collectors",
    values={
        "config": {
            "service": "[SERVICE]\n    storage.path /var/fluent-bit/state/\n",
            "inputs": "[INPUT]\n    Name tail\n    storage.type filesystem\n",
            "outputs": OUTPUT,
        }
    },
    **FLUENT_BIT,
    opts=a,
)
# The same flaw split over a ConfigMap's keys (judged together): the forward output to a tier has no limit.
k8s.core.v1.ConfigMap(
    "fluent-bit-split-configmap",
    metadata={"namespace": "collectors"},
    data={
        "service.conf": "[SERVICE]\n    storage.path /var/fluent-bit/state/\n",
        "inputs.conf": "[INPUT]\n    Name tail\n    storage.type filesystem\n",
        "outputs.conf": "[OUTPUT]\n    Name forward\n    Host fluentd.logging.svc\n    tls On\n",
    },
    opts=a,
)
# A size Fluent Bit does not parse is no bound.
k8s.core.v1.ConfigMap(
    "fluent-bit-yaml-size-unparsed",
    metadata={"namespace": "collectors"},
    data={
        "fluent-bit.yaml": """
service:
  storage.path: /var/fluent-bit/state/
pipeline:
  inputs:
    - name: tail
      storage.type: filesystem
  outputs:
    - name: loki
      host: loki.example.com
      tls: on
      storage.total_limit_size: 4 gigs
"""
    },
    opts=a,
)
# A SERVICE section without storage.path: the filesystem inputs can only buffer in memory, without a limit.
k8s.helm.v3.Release(
    "fluent-bit-no-storage-path",
    namespace="collectors",
    values={
        "config": {
            "service": "[SERVICE]\n    Flush 1\n",
            "inputs": "[INPUT]\n    Name tail\n    storage.type filesystem\n",
            "outputs": OUTPUT + "    storage.total_limit_size 1G\n",
        }
    },
    **FLUENT_BIT,
    opts=a,
)
k8s.helm.v3.Release(
    "fluentd-buffer-unbounded",
    namespace="logging",
    values={
        "fileConfigs": {
            "04_outputs.conf": "<match **>\n  @type loki\n  url https://loki.example.com\n  <buffer>\n    @type file\n"
            "    path /var/log/fluent/buffer\n  </buffer>\n</match>\n"
        }
    },
    **FLUENTD,
    opts=a,
)
k8s.helm.v3.Release(
    "fluentd-buffer-exceeds-volume",
    namespace="logging",
    values={
        "kind": "StatefulSet",
        "persistence": {"enabled": True, "size": "20Gi"},
        "fileConfigs": {
            "04_outputs.conf": "<match **>\n  @type loki\n  url https://loki.example.com\n  <buffer tenant>\n    @type file\n"
            "    path /var/log/fluent/buffer\n    total_limit_size 30g\n  </buffer>\n</match>\n"
        },
    },
    **FLUENTD,
    opts=a,
)
k8s.apiextensions.CustomResource(
    "logstash-queue-exceeds-claim",
    **LOGSTASH,
    metadata={"namespace": "logging", "name": "ingest"},
    spec={
        "version": "8.19.0",
        "pipelines": [{"pipeline.id": "main", "config.string": "input { http {} }", "queue.type": "persisted", "queue.max_bytes": "8gb"}],
        "volumeClaimTemplates": [{"metadata": {"name": "logstash-data"}, "spec": {"resources": {"requests": {"storage": "5Gi"}}}}],
    },
    opts=a,
)
# Persisted through logstash.yml (spec.config) with Logstash's implicit max_bytes, on ECK's default claim.
k8s.apiextensions.CustomResource(
    "logstash-queue-implicit",
    **LOGSTASH,
    metadata={"namespace": "logging", "name": "implicit"},
    spec={"version": "8.19.0", "config": {"queue": {"type": "persisted"}}, "pipelines": [{"pipeline.id": "main"}]},
    opts=a,
)
k8s.apiextensions.CustomResource(
    "filebeat-disk-queue-unbounded",
    api_version="beat.k8s.elastic.co/v1beta1",
    kind="Beat",
    metadata={"namespace": "collectors", "name": "filebeat"},
    spec={"type": "filebeat", "version": "8.19.0", "config": {"queue": {"disk": {"path": "/usr/share/filebeat/data/diskqueue"}}}},
    opts=a,
)
# max_size 0 is Filebeat's "no maximum": the queue grows to the disk's free space.
k8s.core.v1.ConfigMap(
    "filebeat-configmap-no-maximum",
    metadata={"namespace": "collectors"},
    data={"filebeat.yml": "filebeat.inputs:\n  - type: filestream\n    paths: [/var/log/containers/*.log]\nqueue.disk:\n  max_size: 0\n"},
    opts=a,
)
k8s.helm.v3.Release(
    "alloy-wal",
    chart="alloy",
    namespace="collectors",
    values={
        "alloy": {
            "configMap": {
                "content": 'loki.write "c" {\n  endpoint {\n    url = "https://loki.example.com"\n  }\n'
                '  wal {\n    enabled = true\n    max_segment_age = "2h"\n  }\n}\n'
            }
        }
    },
    opts=a,
)
