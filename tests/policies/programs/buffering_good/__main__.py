"""Collectors and aggregation tiers whose buffers are bounded, written the ways teams write them: Fluent Bit on the
filesystem with every network output capped (chart values split over service/inputs/outputs, and a YAML-format
ConfigMap), Fluent Bit in memory with Mem_Buf_Limit, Fluentd file buffers that fit the release's volume, Logstash
persisted queues that fit their claim (one on ECK's default claim), Filebeat's disk queue with a max_size, and Alloy,
which has no unbounded buffer to judge."""

import pulumi
import pulumi_kubernetes as k8s

cluster = k8s.Provider("main-cluster", context="main")
a = pulumi.ResourceOptions(provider=cluster)
FLUENT_BIT = {"chart": "fluent-bit", "version": "0.58.1", "repository_opts": {"repo": "https://fluent.github.io/helm-charts"}}
FLUENTD = {"chart": "fluentd", "version": "0.6.0", "repository_opts": {"repo": "https://fluent.github.io/helm-charts"}}
LOGSTASH = {"api_version": "logstash.k8s.elastic.co/v1alpha1", "kind": "Logstash"}

k8s.helm.v3.Release(
    "fluent-bit-filesystem",
    namespace="collectors",
    values={
        "config": {
            "service": "[SERVICE]\n    Flush 1\n    storage.path /var/fluent-bit/state/flb-storage/\n    storage.max_chunks_up 128\n",
            "inputs": "[INPUT]\n    Name tail\n    Path /var/log/containers/*.log\n    Tag kube.*\n    storage.type filesystem\n\n"
            "[INPUT]\n    Name systemd\n    Tag host.*\n    Mem_Buf_Limit 5MB\n",
            "outputs": "[OUTPUT]\n    Name es\n    Match kube.*\n    Host es.logging.svc\n    tls On\n"
            "    storage.total_limit_size 2G\n\n[OUTPUT]\n    Name datadog\n    Match host.*\n    Host http-intake.logs.datadoghq.eu\n"
            "    tls On\n    storage.total_limit_size 512M\n\n[OUTPUT]\n    Name stdout\n    Match debug.*\n",
        }
    },
    **FLUENT_BIT,
    opts=a,
)
k8s.helm.v3.Release(
    "fluent-bit-memory-limited",
    namespace="collectors",
    values={"config": {"inputs": "[INPUT]\n\tName\ttail\n\tPath\t/var/log/containers/*.log\n\tMem_Buf_Limit\t50MB\n"}},
    **FLUENT_BIT,
    opts=a,
)
k8s.core.v1.ConfigMap(
    "fluent-bit-yaml",
    metadata={"namespace": "collectors"},
    data={
        "fluent-bit.yaml": """
service:
  storage.path: /var/fluent-bit/state/flb-storage/
pipeline:
  inputs:
    - name: tail
      path: /var/log/containers/*.log
      storage.type: filesystem
  outputs:
    - name: loki
      match: '*'
      host: loki.example.com
      tls: on
      storage.total_limit_size: 4GB
"""
    },
    opts=a,
)
FILE_BUFFER = "<buffer>\n    @type file\n    path /var/log/fluent/buffer/{name}\n    total_limit_size {size}\n  </buffer>"
k8s.helm.v3.Release(
    "fluentd-fits-volume",
    namespace="logging",
    values={
        "kind": "StatefulSet",
        "persistence": {"enabled": True, "size": "50Gi"},
        "fileConfigs": {
            "04_outputs.conf": "<match kube.**>\n  @type elasticsearch\n  scheme https\n  "
            + FILE_BUFFER.format(name="es", size="20g")
            + "\n</match>\n<match audit.**>\n  @type forward\n  transport tls\n  "
            + FILE_BUFFER.format(name="audit", size="20GB")
            + "\n</match>\n<match debug.**>\n  @type stdout\n  <buffer>\n    @type memory\n  </buffer>\n</match>\n",
        },
    },
    **FLUENTD,
    opts=a,
)
k8s.apiextensions.CustomResource(
    "logstash-fits-claim",
    **LOGSTASH,
    metadata={"namespace": "logging", "name": "ingest"},
    spec={
        "version": "8.19.0",
        "count": 2,
        "config": {"queue.max_bytes": "4gb"},
        "pipelines": [
            {"pipeline.id": "main", "config.string": "input { generator {} }", "queue.type": "persisted"},
            {"pipeline.id": "audit", "config.string": "input { generator {} }", "queue.type": "persisted", "queue.max_bytes": "2gb"},
            {"pipeline.id": "debug", "config.string": "input { generator {} }"},
        ],
        "volumeClaimTemplates": [
            {"metadata": {"name": "logstash-data"}, "spec": {"resources": {"requests": {"storage": "10Gi"}}}},
        ],
    },
    opts=a,
)
k8s.apiextensions.CustomResource(
    "logstash-default-claim",
    **LOGSTASH,
    metadata={"namespace": "logging", "name": "small"},
    spec={"version": "8.19.0", "pipelines": [{"pipeline.id": "main", "queue": {"type": "persisted", "max_bytes": "1gb"}}]},
    opts=a,
)
k8s.apiextensions.CustomResource(
    "filebeat-disk-queue",
    api_version="beat.k8s.elastic.co/v1beta1",
    kind="Beat",
    metadata={"namespace": "collectors", "name": "filebeat"},
    spec={"type": "filebeat", "version": "8.19.0", "config": {"queue.disk": {"max_size": "4GB"}}},
    opts=a,
)
k8s.helm.v3.Release(
    "alloy",
    chart="alloy",
    namespace="collectors",
    values={"alloy": {"configMap": {"content": 'loki.write "c" {\n  endpoint {\n    url = "https://loki.example.com"\n  }\n}\n'}}},
    opts=a,
)
