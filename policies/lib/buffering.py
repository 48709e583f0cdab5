"""Readers of collectors' buffer bounds: Fluent Bit's inputs, outputs and storage path (classic and YAML formats),
Fluentd's file buffers, Logstash's persisted queues against their claim, the Beats' disk queue, and the sizes each
engine writes, in that engine's own units (a size it would not read is no bound)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from policies.lib.collector_config import NETWORK_OUTPUTS, fluent_bit_sections, yaml_mapping
from policies.lib.values import as_list, dotted_items, flat, get

# The fluentd chart's `persistence.size` when a release enables persistence without one (fluent/helm-charts values.yaml).
FLUENTD_CHART_VOLUME = "10Gi"
# ECK's logstash-data claim when no volumeClaimTemplate or pod volume of that name is given (ECK DefaultPersistentVolumeSize).
ECK_LOGSTASH_VOLUME = "1.5Gi"
LOGSTASH_DATA = "logstash-data"
Sections = list[tuple[str, dict[str, str]]]
DISK_QUEUE = re.compile(r"queue\.disk|^\s*queue:\s*\n\s+disk:", re.M)
# Each engine's size units, built once: every reader below runs per setting, per resource, per policy run.
_FLUENT_BIT_UNITS = {"": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9}
_FLUENTD_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_LOGSTASH_UNITS = {u: 1 << (10 * i) for i, letter in enumerate("bkmgtp") for u in (letter, f"{letter}b")}
_BEATS_UNITS = {"": 1, "b": 1} | {
    u: size
    for i, letter in enumerate("kmgtpe", start=1)
    for u, size in ((letter, 1000**i), (f"{letter}b", 1000**i), (f"{letter}i", 1024**i), (f"{letter}ib", 1024**i))
}
_QUANTITY_UNITS = {"": 1} | {f"{p}i": 1024 ** (i + 1) for i, p in enumerate("KMGTP")} | {p: 1000 ** (i + 1) for i, p in enumerate("kMGTP")}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _scaled(pattern: str, units: Mapping[str, int], text: str, flags: int = 0) -> int | None:
    found = re.fullmatch(pattern, text.strip(), flags)
    if found is None:
        return None
    return int(float(found.group(1)) * units[(found.group(2) or "").lower()])


def fluent_bit_size(value: Any) -> int | None:
    """Fluent Bit's sizes (flb_utils_size_to_bytes): K, M, G with an optional B, any case, decimal (K is 1000);
    `false` is 0; anything else, a space before the unit included, is rejected."""
    if (n := _number(value)) is not None:
        return int(n)
    if str(value).strip().lower() == "false":
        return 0
    return _scaled(r"(\d+(?:\.\d+)?)([kmg]b?)?", _FLUENT_BIT_UNITS, str(value), re.I)


def fluentd_size(value: Any) -> int | None:
    """Fluentd's sizes (Fluent::Config.size_value): k, m, g, t, any case, binary, a trailing b tolerated (64GB)."""
    return _scaled(r"(\d+)\s*([kmgt])?b?", _FLUENTD_UNITS, str(value), re.I)


def logstash_bytes(value: Any) -> int | None:
    """Logstash's byte values (LogStash::Util::ByteValue): a number is bytes; text needs a lowercase unit b, kb, mb,
    gb, tb, pb (or k, m, g, t, p), binary; Logstash refuses to start on anything else (`4GB`, `4`)."""
    if (n := _number(value)) is not None:
        return int(n)
    return _scaled(r"(\d+(?:\.\d+)?)\s*(b|[kmgtp]b?)", _LOGSTASH_UNITS, str(value))


def beats_size(value: Any) -> int | None:
    """The Beats' sizes (go-humanize ParseBytes): KB, MB, GB... decimal, KiB, MiB, GiB... binary, any case."""
    if (n := _number(value)) is not None:
        return int(n)
    return _scaled(r"(\d+(?:\.\d+)?)\s*([kmgtpe]i?b?|b)?", _BEATS_UNITS, str(value), re.I)


def quantity(value: Any) -> int | None:
    """A Kubernetes storage quantity in bytes (Ki, Mi, Gi, Ti, Pi binary; k, M, G, T, P decimal; 1e3)."""
    if (n := _number(value)) is not None:
        return int(n)
    found = re.fullmatch(r"(\d+(?:\.\d+)?(?:[eE]\d+)?)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?", str(value).strip())
    return int(float(found.group(1)) * _QUANTITY_UNITS[found.group(2) or ""]) if found else None


def gib(size: int) -> str:
    return f"{size / (1 << 30):.1f} GiB"


def _bound(label: str, key: str, raw: Any, reader: Any, kind: str = "a size") -> tuple[int | None, list[str]]:
    """A size (or count) setting read by `reader`: (bytes, []) or (None, [why it is no bound])."""
    size = reader(raw)
    if size is None:
        return None, [f"{label} {key} '{raw}' is not {kind}"]
    if size == 0:
        return None, [f"{label} {key} {raw} sets no limit"]
    return size, []


def _yaml_sections(text: str) -> Sections:
    """Fluent Bit's YAML format as classic sections: `service` and `pipeline: inputs/outputs`, keys lower-cased."""
    document = yaml_mapping(text)

    def entries(value: Any) -> dict[str, str]:
        return {k.lower(): str(v) for k, v in flat(value).items()}

    sections: Sections = [("SERVICE", entries(document["service"]))] if isinstance(document.get("service"), Mapping) else []
    for kind, key in (("INPUT", "inputs"), ("OUTPUT", "outputs")):
        sections += [(kind, entries(entry)) for entry in as_list(get(document, "pipeline", key)) if isinstance(entry, Mapping)]
    return sections


def fluent_bit_config_sections(texts: Iterable[str]) -> Sections:
    """The SERVICE, INPUT and OUTPUT sections of every Fluent Bit config string of one resource, in either format."""
    sections: Sections = []
    for text in texts:
        if re.search(r"^\s*\[(SERVICE|INPUT|OUTPUT)\]\s*$", text, re.M | re.I):
            sections += [s for s in fluent_bit_sections(text) if s[0] in ("SERVICE", "INPUT", "OUTPUT")]
        elif re.search(r"^(pipeline|service):", text, re.M):
            sections += _yaml_sections(text)
    return sections


def fluent_bit_buffer_problems(sections: Sections) -> list[str]:
    """Every input bounded in memory (Mem_Buf_Limit) or buffered on the filesystem; with any filesystem input, every
    network output's filesystem queue capped (storage.total_limit_size) and a [SERVICE] present naming storage.path."""
    problems: list[str] = []
    # storage.type defaults to memory, where only Mem_Buf_Limit bounds an input (its own default is no limit).
    inputs = [(e, e.get("storage.type", "memory").lower() == "filesystem") for kind, e in sections if kind == "INPUT"]
    for entries, on_disk in inputs:
        label = f"input {entries.get('name', '?')} ({entries.get('tag') or entries.get('path') or 'untagged'})"
        if on_disk:
            continue
        if "mem_buf_limit" not in entries:
            problems.append(f"{label} buffers in memory without Mem_Buf_Limit (set storage.type filesystem or Mem_Buf_Limit)")
        else:
            problems += _bound(label, "Mem_Buf_Limit", entries["mem_buf_limit"], fluent_bit_size)[1]
    if not any(on_disk for _, on_disk in inputs):
        return problems
    for kind, entries in sections:
        plugin = entries.get("name", "").lower()
        if kind != "OUTPUT" or plugin not in NETWORK_OUTPUTS:
            continue
        label = f"output {plugin} ({entries.get('host', 'default host')})"
        # An output's filesystem queue has no limit unless storage.total_limit_size sets one.
        if "storage.total_limit_size" not in entries:
            problems.append(f"{label} sets no storage.total_limit_size: its filesystem queue grows while the destination is down")
        else:
            problems += _bound(label, "storage.total_limit_size", entries["storage.total_limit_size"], fluent_bit_size)[1]
    services = [entries for kind, entries in sections if kind == "SERVICE"]
    if services and not any(e.get("storage.path") for e in services):
        # Without storage.path, inputs can only buffer in memory (Fluent Bit's buffering docs).
        problems.append("[SERVICE] sets no storage.path: the storage.type filesystem inputs buffer only in memory, without a limit")
    return problems


def _fluentd_file_buffers(text: str) -> list[tuple[str, dict[str, str]]]:
    """(`<match pattern> (plugin)`, the buffer's parameters) of every file buffer: a <buffer> of @type file or
    file_single, and out_file's own (its buffer's default @type is file, and it has one without a <buffer>)."""
    found = []
    for pattern, body in re.findall(r"<match([^>]*)>(.*?)</match>", text, re.S):
        own = re.search(r"^\s*@?type\s+(\S+)", re.sub(r"<(\w+)[^>]*>.*?</\1>", "", body, flags=re.S), re.M)
        plugin = own.group(1) if own else "?"
        label = f"<match {pattern.strip()}> ({plugin})"
        buffers = re.findall(r"<buffer[^>]*>(.*?)</buffer>", body, re.S) or ([""] if plugin == "file" else [])
        for buffer in buffers:
            params = dict(re.findall(r"^\s*(@?\w+)\s+(\S+)", buffer, re.M))
            kind = params.get("@type") or params.get("type") or ("file" if plugin == "file" else "memory")
            if kind in ("file", "file_single"):
                found.append((label, params))
    return found


def _fluentd_buffer_limit(label: str, params: Mapping[str, str]) -> tuple[int | None, list[str]]:
    """A file buffer's bound: total_limit_size, or v0.12's chunk_limit_size (file: 256m) x queue_limit_length."""
    if "total_limit_size" in params:
        return _bound(label, "total_limit_size", params["total_limit_size"], fluentd_size)
    if "queue_limit_length" not in params:
        return None, [f"{label} sets no total_limit_size (the file buffer's default is 64GB)"]
    chunk, why = _bound(label, "chunk_limit_size", params.get("chunk_limit_size", "256m"), fluentd_size)
    length, more = _bound(label, "queue_limit_length", params["queue_limit_length"], _whole_number, "a whole number")
    if chunk is None or length is None:
        return None, why + more
    return chunk * length, []


def _whole_number(value: Any) -> int | None:
    return int(value) if re.fullmatch(r"\d+", str(value).strip()) else None


def fluentd_buffer_problems(texts: Iterable[str], volume: str | None) -> list[str]:
    """Every file buffer sets total_limit_size; with `volume` (the release's persistence.size), they fit in it."""
    problems: list[str] = []
    total = 0
    for text in texts:
        for label, params in _fluentd_file_buffers(text):
            size, why = _fluentd_buffer_limit(f"Fluentd file buffer of {label}", params)
            problems += why
            total += size or 0
    room = quantity(volume) if volume is not None else None
    if volume is not None and room is None:
        problems.append(f"persistence.size '{volume}' is not a Kubernetes quantity")
    elif room is not None and total > room:
        problems.append(f"Fluentd file buffers hold up to {gib(total)}, more than persistence.size {volume} ({gib(room)})")
    return problems


def _logstash_volume(spec: Mapping[str, Any]) -> tuple[str | None, str]:
    """The logstash-data volume's size and how it is known: its volumeClaimTemplate, an emptyDir's sizeLimit, or
    ECK's default claim when neither names it."""
    for template in as_list(get(spec, "volumeClaimTemplates")):
        if get(template, "metadata", "name") == LOGSTASH_DATA:
            return get(template, "spec", "resources", "requests", "storage"), "claim"
    for volume in as_list(get(spec, "podTemplate", "spec", "volumes")):
        if get(volume, "name") == LOGSTASH_DATA:
            return get(volume, "emptyDir", "sizeLimit"), "emptyDir"
    return ECK_LOGSTASH_VOLUME, "claim"


def logstash_queue_problems(spec: Mapping[str, Any]) -> list[str]:
    """Each persisted queue (spec.config, overridden per pipeline) has an explicit queue.max_bytes, and together they
    fit in the logstash-data volume, where ECK puts path.data and so the queues."""
    settings = flat(get(spec, "config") or {})
    pipelines = [flat(p) for p in as_list(get(spec, "pipelines")) if isinstance(p, Mapping)]
    if not pipelines and get(spec, "pipelinesRef") is None:
        pipelines = [{"pipeline.id": "main"}]  # Logstash's own single pipeline
    problems: list[str] = []
    total = 0
    for pipeline in pipelines:
        merged = {**settings, **pipeline}
        if str(merged.get("queue.type", "memory")) != "persisted":
            continue
        label = f"Logstash pipeline {merged.get('pipeline.id', 'main')}:"
        if merged.get("queue.max_bytes") is None:
            problems.append(f"{label} queue.type persisted without queue.max_bytes (Logstash's default is 1024mb)")
            continue
        size, why = _bound(label, "queue.max_bytes", merged["queue.max_bytes"], logstash_bytes)
        problems += why
        total += size or 0
    if total:
        raw, source = _logstash_volume(spec)
        room = quantity(raw) if raw is not None else None
        where = f"the {LOGSTASH_DATA} {source}" if raw is None else f"the {LOGSTASH_DATA} {source}'s {raw}"
        where += " (ECK's default)" if raw == ECK_LOGSTASH_VOLUME else ""
        if room is None:
            problems.append(f"Logstash persisted queues hold up to {gib(total)}, and {where} states no size to hold them")
        elif total > room:
            problems.append(f"Logstash persisted queues hold up to {gib(total)}, more than {where} ({gib(room)})")
    return problems


def disk_queue_problems(config: Any) -> list[str]:
    """A Beat's `queue.disk` (top level or an output's) sets a max_size other than 0, Filebeat's "no maximum"."""
    nodes = dict(dotted_items(config))
    queues = sorted({m.group(1) for path in nodes if (m := re.match(r"(.*?\bqueue\.disk)(?:\.|$)", path))})
    problems: list[str] = []
    for queue in queues:
        raw = nodes.get(f"{queue}.max_size")
        if raw is None:
            problems.append(f"{queue} sets no max_size (Filebeat's default is 10GB, on the node's disk)")
            continue
        size = beats_size(raw)
        if size is None:
            problems.append(f"{queue} max_size '{raw}' is not a size")
        elif size == 0:
            problems.append(f"{queue} max_size {raw} sets no maximum: the queue grows to the disk's free space")
    return problems


def text_disk_queue_problems(text: str) -> list[str]:
    """disk_queue_problems of a Beats YAML config string (a ConfigMap's filebeat.yml, a chart's values string)."""
    if not DISK_QUEUE.search(text):
        return []
    document = yaml_mapping(text)
    return disk_queue_problems(document) if document else []


def configures_buffer(texts: Iterable[str], sections: Sections) -> bool:
    """Whether a resource's strings (and their Fluent Bit `sections`) configure a buffer this module judges: Fluent
    Bit, Fluentd, a Beats disk queue."""
    return bool(sections) or any(re.search(r"<(match|buffer)\b", t) or DISK_QUEUE.search(t) for t in texts)
