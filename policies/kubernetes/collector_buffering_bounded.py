from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity

from policies.examined import probing
from policies.framework import BASELINE, Check, Report, resource_policy
from policies.lib.buffering import (
    FLUENTD_CHART_VOLUME,
    Sections,
    configures_buffer,
    disk_queue_problems,
    fluent_bit_buffer_problems,
    fluent_bit_config_sections,
    fluentd_buffer_problems,
    logstash_queue_problems,
    text_disk_queue_problems,
)
from policies.lib.kubernetes import COLLECTOR_CHARTS, as_resource, chart_of, string_leaves, values_of
from policies.lib.types import BEAT, CONFIG_MAP, HELM_TYPES, LOGSTASH
from policies.lib.values import get, truthy

# The collector charts, and Elastic's filebeat chart (its filebeat.yml is a values string).
CHARTS = {*COLLECTOR_CHARTS, "filebeat"}
ALLOY = (
    "Grafana Alloy has no unbounded buffer to judge: loki.write's send queue is bounded in memory (queue_config "
    "capacity, 10MiB per shard by default) and its optional WAL by age (wal max_segment_age, 1h by default)"
)


@dataclass(frozen=True)
class _Configuration:
    """A release's or ConfigMap's strings, `(where, text)` (a ConfigMap's key, a release's values path), and their
    Fluent Bit sections: one resource's Fluent Bit strings (config.service/inputs/outputs, a ConfigMap's keys) are
    one configuration. Read once, while classifying."""

    texts: list[tuple[str, str]]
    sections: Sections


def _configuration(resource: PolicyResource) -> _Configuration | None:
    """The configuration of a release of CHARTS or a ConfigMap, when it configures a buffer this policy judges."""
    t = resource.resource_type
    if t in HELM_TYPES and chart_of(resource) in CHARTS:
        texts = list(string_leaves(values_of(resource)))
    elif t == CONFIG_MAP:
        texts = [(key, text) for key, text in (get(resource.props, "data") or {}).items() if isinstance(text, str)]
    else:
        return None
    sections = fluent_bit_config_sections(text for _where, text in texts)
    return _Configuration(texts, sections) if configures_buffer((text for _where, text in texts), sections) else None


def _judged(resource: PolicyResource, configuration: _Configuration | None) -> bool:
    t = resource.resource_type
    if t == BEAT:
        return isinstance(get(resource.props, "spec", "config"), Mapping)
    return t == LOGSTASH or configuration is not None


def _problems(resource: PolicyResource, configuration: _Configuration | None) -> list[str]:
    t, props = resource.resource_type, resource.props
    if t == BEAT:
        return disk_queue_problems(get(props, "spec", "config"))
    if t == LOGSTASH:
        return logstash_queue_problems(get(props, "spec") or {})
    assert configuration is not None  # judged (_judged): a release or ConfigMap that configures a buffer
    problems = fluent_bit_buffer_problems(configuration.sections)
    if t == CONFIG_MAP:  # each key is a file of its own, named in the finding
        for key, text in configuration.texts:
            problems += [f"{key}: {p}" for p in fluentd_buffer_problems([text], None) + text_disk_queue_problems(text)]
        return problems
    texts = [text for _path, text in configuration.texts]
    values = values_of(resource)
    volume = None
    if chart_of(resource) == "fluentd" and truthy(get(values, "persistence", "enabled")):
        volume = str(get(values, "persistence", "size") or FLUENTD_CHART_VOLUME)
    problems += fluentd_buffer_problems(texts, volume)
    return problems + [p for text in texts for p in text_disk_queue_problems(text)]


@resource_policy(
    name="collector-buffering-bounded",
    description="Every collector and aggregation-tier buffer has a size bound that fits where it is written: Fluent Bit "
    "inputs (Mem_Buf_Limit or filesystem) and filesystem outputs (storage.total_limit_size), Fluentd file buffers "
    "(total_limit_size, within the release's volume), Logstash persisted queues (queue.max_bytes, within logstash-data), "
    "Filebeat's disk queue (max_size).",
    criteria=("A1.1", "CC7.2"),
    anchors="logmesh (no public anchor)",
    severity=Severity.MEDIUM,
    remediation="An unbounded buffer fills the node's disk or the tier's volume while a backend is down (Fluent Bit "
    "issue 3794) and takes the node or tier down with every log it held. Fluent Bit: 'storage.type filesystem' or "
    "'Mem_Buf_Limit' on every input, 'storage.total_limit_size' on every network output, 'storage.path' in [SERVICE]; "
    "Fluentd: 'total_limit_size' in every file <buffer>, their sum within persistence.size; Logstash: 'queue.max_bytes' "
    "for every persisted queue, their sum within the logstash-data claim; Filebeat: 'queue.disk.max_size' other than 0.",
    domain="kubernetes",
    types=(*HELM_TYPES, CONFIG_MAP, BEAT, LOGSTASH),
    tier=BASELINE,
)
def collector_buffering_bounded(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    """Sizes are read in each engine's own units (policies/lib/buffering.py), and one it would not read is a finding.
    Releases are judged on the values they give: a fluent-bit release that leaves `config.inputs` to the chart gets
    the chart's inputs, whose systemd input has no Mem_Buf_Limit, and that is judged only where the release is
    rendered (its ConfigMap). Alloy is not applicable (see ALLOY)."""
    with probing():  # classifying is not judging (policies/examined.py)
        resource = as_resource(args)
        configuration = _configuration(resource)
        alloy, judged = chart_of(resource) == "alloy", _judged(resource, configuration)
    if alloy:
        args.not_applicable(ALLOY)
    if not judged:
        return
    for problem in _problems(as_resource(args), configuration):
        report(problem)
