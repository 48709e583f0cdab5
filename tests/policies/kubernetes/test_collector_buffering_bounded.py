"""collector-buffering-bounded: what each finding says, which resources the control matrix counts as judged, Alloy as
not applicable, and the size readers in each engine's own units."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs
from pulumi_policy.policy import _NotApplicableError

from policies.kubernetes.collector_buffering_bounded import collector_buffering_bounded
from policies.lib.buffering import (
    beats_size,
    disk_queue_problems,
    fluent_bit_size,
    fluentd_buffer_problems,
    fluentd_size,
    logstash_bytes,
    logstash_queue_problems,
    quantity,
)
from preflight.analyze.findings import Analysis

POLICY = "collector-buffering-bounded"


def messages(analysis: Analysis, name: str) -> list[str]:
    return sorted(v.message for v in analysis.violations if v.policy == POLICY and v.urn.endswith(f"::{name}"))


@pytest.mark.parametrize(
    "name, expected",
    [
        ("fluent-bit-memory-unbounded", "input tail (kube.*) buffers in memory without Mem_Buf_Limit"),
        ("fluent-bit-output-unbounded", "output loki (loki.example.com) sets no storage.total_limit_size"),
        ("fluent-bit-split-configmap", "output forward (fluentd.logging.svc) sets no storage.total_limit_size"),
        ("fluent-bit-yaml-size-unparsed", "output loki (loki.example.com) storage.total_limit_size '4 gigs' is not a size"),
        ("fluent-bit-no-storage-path", "[SERVICE] sets no storage.path"),
        ("fluentd-buffer-unbounded", "Fluentd file buffer of <match **> (loki) sets no total_limit_size"),
        ("fluentd-buffer-exceeds-volume", "Fluentd file buffers hold up to 30.0 GiB, more than persistence.size 20Gi (20.0 GiB)"),
        ("logstash-queue-exceeds-claim", "Logstash persisted queues hold up to 8.0 GiB, more than the logstash-data claim's 5Gi"),
        ("logstash-queue-implicit", "Logstash pipeline main: queue.type persisted without queue.max_bytes"),
        ("filebeat-disk-queue-unbounded", "queue.disk sets no max_size"),
        ("filebeat-configmap-no-maximum", "filebeat.yml: queue.disk max_size 0 sets no maximum"),
    ],
)
def test_each_finding_names_the_setting(name: str, expected: str, analyze: Callable[..., Analysis]) -> None:
    found = messages(analyze("buffering_bad"), name)
    assert len(found) == 1 and found[0].startswith(expected), found


def test_the_matrix_counts_only_what_was_judged(analyze: Callable[..., Analysis]) -> None:
    good = analyze("buffering_good")
    assert good.examined is not None
    judged = {urn.rsplit("::", 1)[-1] for urn in good.examined.get(POLICY, [])}
    # alloy: not applicable; the providers are not of the policy's types
    assert judged == {
        "fluent-bit-filesystem",
        "fluent-bit-memory-limited",
        "fluent-bit-yaml",
        "fluentd-fits-volume",
        "logstash-fits-claim",
        "logstash-default-claim",
        "filebeat-disk-queue",
    }
    bad = analyze("k8s_bad")
    assert bad.examined is not None
    judged = {urn.rsplit("::", 1)[-1] for urn in bad.examined.get(POLICY, [])}
    # ConfigMaps with no collector configuration, the Loki, Jaeger and ECK-stack releases: classified, never judged.
    assert judged.isdisjoint({"unrelated", "configmap-password", "configmap-aws-key", "loki-auth-disabled", "spans-default-config"})
    assert {"fluent-bit-plaintext", "fluent-bit-yaml-without-tls", "filebeat-insecure"} <= judged


def test_alloy_is_not_applicable() -> None:
    content = 'loki.write "c" {\n  endpoint {\n    url = "https://loki.example.com"\n  }\n  wal {\n    enabled = true\n  }\n}\n'
    args = ResourceValidationArgs(
        "kubernetes:helm.sh/v3:Release",
        {"chart": "alloy", "values": {"alloy": {"configMap": {"content": content}}}},
        "urn:pulumi:s::p::kubernetes:helm.sh/v3:Release::alloy",
        "alloy",
        PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), []),
        None,
        {},
    )
    with pytest.raises(_NotApplicableError) as raised:
        collector_buffering_bounded.validate(args, lambda message, urn=None: None)  # type: ignore[misc,operator]
    assert "Grafana Alloy has no unbounded buffer" in str(raised.value.reason)


def test_sizes_in_each_engines_units() -> None:
    # Fluent Bit's K, M, G are decimal and case-insensitive; "false" is 0 (no limit); a space breaks the suffix.
    assert [fluent_bit_size(s) for s in ("5MB", "4G", "512k", "100", "false", "4 G", "4GiB")] == [
        5_000_000,
        4_000_000_000,
        512_000,
        100,
        0,
        None,
        None,
    ]
    # Fluentd's k, m, g, t are binary, and a trailing b is accepted (64GB is its file buffer's default).
    assert [fluentd_size(s) for s in ("64GB", "8m", "19353m", "1024", "lots")] == [64 << 30, 8 << 20, 19353 << 20, 1024, None]
    # Logstash's units are lowercase and binary; a number is bytes; "4GB" is rejected at startup.
    assert [logstash_bytes(s) for s in ("1024mb", "4gb", "1.5gb", 2048, "4GB", "4")] == [1 << 30, 4 << 30, 3 << 29, 2048, None, None]
    # Beats (go-humanize): GB is decimal, GiB binary.
    assert [beats_size(s) for s in ("10GB", "4GiB", "100MB", 0, "huge")] == [10**10, 4 << 30, 10**8, 0, None]
    assert [quantity(s) for s in ("1.5Gi", "50Gi", "10G", "512Mi", "1e3", "x")] == [3 << 29, 50 << 30, 10**10, 512 << 20, 1000, None]


def test_fluentd_v0_12_bounds_are_read_and_named_as_written() -> None:
    """v0.12's bound is chunk_limit_size x queue_limit_length; a value Fluentd would not read is named in its own key."""
    match = "<match **>\n  @type loki\n  <buffer>\n    @type file\n{}  </buffer>\n</match>\n"
    bounded = match.format("    chunk_limit_size 8m\n    queue_limit_length 16\n")
    assert fluentd_buffer_problems([bounded], "1Gi") == []
    assert fluentd_buffer_problems([bounded], "100Mi") == [
        "Fluentd file buffers hold up to 0.1 GiB, more than persistence.size 100Mi (0.1 GiB)"
    ]
    assert fluentd_buffer_problems([match.format("    queue_limit_length lots\n")], None) == [
        "Fluentd file buffer of <match **> (loki) queue_limit_length 'lots' is not a whole number"
    ]
    assert fluentd_buffer_problems([match.format("    chunk_limit_size big\n    queue_limit_length 4\n")], None) == [
        "Fluentd file buffer of <match **> (loki) chunk_limit_size 'big' is not a size"
    ]
    assert fluentd_buffer_problems([match.format("    queue_limit_length 0\n")], None) == [
        "Fluentd file buffer of <match **> (loki) queue_limit_length 0 sets no limit"
    ]


def test_fluentd_file_buffers_of_every_kind() -> None:
    """out_file's own buffer (a file buffer without a <buffer> section), file_single, and a memory buffer (not judged)."""
    out_file = "<match audit.**>\n  @type file\n  path /var/log/audit\n</match>\n"
    single = "<match **>\n  @type s3\n  <buffer>\n    @type file_single\n    total_limit_size 2g\n  </buffer>\n</match>\n"
    memory = "<match **>\n  @type loki\n  <buffer>\n    @type memory\n  </buffer>\n</match>\n"
    assert fluentd_buffer_problems([out_file, single, memory], None) == [
        "Fluentd file buffer of <match audit.**> (file) sets no total_limit_size (the file buffer's default is 64GB)"
    ]
    assert fluentd_buffer_problems([single], "1Gi") == ["Fluentd file buffers hold up to 2.0 GiB, more than persistence.size 1Gi (1.0 GiB)"]
    assert fluentd_buffer_problems([single], "lots") == ["persistence.size 'lots' is not a Kubernetes quantity"]


def test_logstash_volumes_and_pipeline_sources() -> None:
    persisted = {"pipeline.id": "p", "queue.type": "persisted", "queue.max_bytes": "2gb"}
    on_empty_dir = {"pipelines": [persisted], "podTemplate": {"spec": {"volumes": [{"name": "logstash-data", "emptyDir": {}}]}}}
    assert logstash_queue_problems(on_empty_dir) == [
        "Logstash persisted queues hold up to 2.0 GiB, and the logstash-data emptyDir states no size to hold them"
    ]
    on_empty_dir["podTemplate"]["spec"]["volumes"][0]["emptyDir"] = {"sizeLimit": "1Gi"}  # type: ignore[index]
    assert logstash_queue_problems(on_empty_dir) == [
        "Logstash persisted queues hold up to 2.0 GiB, more than the logstash-data emptyDir's 1Gi (1.0 GiB)"
    ]
    # Pipelines from a Secret (pipelinesRef) are not in the spec: only spec.config's queue is judged, none here.
    assert logstash_queue_problems({"pipelinesRef": {"secretName": "pipelines"}}) == []
    # Without pipelines, Logstash's own `main` pipeline takes spec.config's queue, within ECK's default claim.
    assert logstash_queue_problems({"config": {"queue": {"type": "persisted", "max_bytes": "4gb"}}}) == [
        "Logstash persisted queues hold up to 4.0 GiB, more than the logstash-data claim's 1.5Gi (ECK's default) (1.5 GiB)"
    ]


def test_beats_disk_queues_at_any_level() -> None:
    assert disk_queue_problems({"queue.disk": {"max_size": "huge"}}) == ["queue.disk max_size 'huge' is not a size"]
    output_level = {"output.elasticsearch": {"hosts": ["https://es:9200"], "queue": {"disk": {}}}}
    assert disk_queue_problems(output_level) == [
        "output.elasticsearch.queue.disk sets no max_size (Filebeat's default is 10GB, on the node's disk)"
    ]
    assert disk_queue_problems({"queue": {"disk": {"max_size": "10GB"}}}) == []
