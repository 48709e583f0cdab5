"""Readers of collector configuration strings: Fluent Bit (classic and YAML formats) and Alloy."""

from __future__ import annotations

import re
from typing import Any

import yaml

from policies.lib.values import as_list, falsy, get, truthy


def fluent_bit_sections(text: str) -> list[tuple[str, dict[str, str]]]:
    """Sections of a classic-format Fluent Bit config: [(SECTION, {lower-cased key: value})]."""
    sections: list[tuple[str, dict[str, str]]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        header = re.fullmatch(r"\[([A-Za-z_]+)\]", line)
        if header:
            sections.append((header.group(1).upper(), {}))
            continue
        if sections:
            # Fluent Bit separates a key from its value by any run of spaces or tabs.
            key, *value = line.split(None, 1)
            sections[-1][1][key.lower()] = value[0].strip() if value else ""
    return sections


NETWORK_OUTPUTS = {"loki", "es", "elasticsearch", "opensearch", "http", "forward", "splunk", "datadog", "kafka", "syslog"}


def fluent_bit_tls_problems(text: str) -> list[str]:
    problems = []
    for section, entries in fluent_bit_sections(text):
        if section != "OUTPUT":
            continue
        plugin = entries.get("name", "").lower()
        if plugin not in NETWORK_OUTPUTS:
            continue
        label = f"output {plugin} ({entries.get('host', 'default host')})"
        if not truthy(entries.get("tls", "off")):
            problems.append(f"{label} does not use TLS (tls On)")
        elif falsy(entries.get("tls.verify", "on")):
            problems.append(f"{label} turns off certificate verification (tls.verify Off)")
    return problems


def yaml_mapping(text: str) -> dict[str, Any]:
    """A YAML config string's document (Fluent Bit's YAML format, a Beats config): {} when it is not YAML, or not a mapping."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return document if isinstance(document, dict) else {}


def fluent_bit_yaml_outputs(text: str) -> list[dict[Any, Any]]:
    """The outputs of a Fluent Bit YAML-format config string (`pipeline: outputs: [...]`), as written."""
    return [output for output in as_list(get(yaml_mapping(text), "pipeline", "outputs")) if isinstance(output, dict)]


def fluent_bit_yaml_tls_problems(text: str) -> list[str]:
    """The same checks for Fluent Bit's YAML configuration format (`pipeline: outputs: [...]`)."""
    problems = []
    for output in fluent_bit_yaml_outputs(text):
        if str(output.get("name", "")).lower() not in NETWORK_OUTPUTS:
            continue
        entries = {str(k).lower(): str(v) for k, v in output.items()}
        label = f"output {entries['name']} ({entries.get('host', 'default host')})"
        if not truthy(entries.get("tls", "off")):
            problems.append(f"{label} does not use TLS (tls: on)")
        elif falsy(entries.get("tls.verify", "on")):
            problems.append(f"{label} turns off certificate verification (tls.verify: off)")
    return problems


def collector_config_tls_problems(text: str) -> list[str]:
    """TLS problems of a collector configuration string in any of the formats logmesh's collectors use."""
    problems: list[str] = []
    if "[OUTPUT]" in text.upper():
        problems += fluent_bit_tls_problems(text)
    if "pipeline:" in text:
        problems += fluent_bit_yaml_tls_problems(text)
    if "loki.write" in text:
        problems += alloy_tls_problems(text)
    if re.search(r"^\s*@type\s", text, re.M):
        problems += fluentd_tls_problems(text)
    if re.search(r"^\s*(input|output)\s*\{", text, re.M):
        problems += logstash_tls_problems(text)
    return problems


def _logstash_plugins(text: str, section: str) -> list[tuple[str, str]]:
    """(plugin, its settings text) of a Logstash pipeline's sections named `section` (`input { http { ... } }`):
    a plugin opens on a line of its own (`http {`), and its settings run to the next plugin or section."""
    found = []
    for body in re.findall(rf"^\s*{section}\s*\{{(.*?)(?=^\s*(?:input|filter|output)\s*\{{|\Z)", text, re.S | re.M):
        parts = re.split(r"^\s*(\w+)\s*\{\s*$", body, flags=re.M)
        found += list(zip(parts[1::2], parts[2::2], strict=True))
    return found


def logstash_tls_problems(text: str) -> list[str]:
    """Logstash: network inputs without TLS, and elasticsearch/http outputs in clear or without verification."""
    problems = []
    for plugin, body in _logstash_plugins(text, "input"):
        if plugin in ("http", "tcp", "beats") and not re.search(r"^\s*(ssl_enabled|ssl|ssl_enable)\s*=>\s*true\b", body, re.M):
            problems.append(f"Logstash input {plugin} accepts connections without TLS (ssl_enabled => true)")
    for plugin, body in _logstash_plugins(text, "output"):
        if plugin not in ("elasticsearch", "http"):
            continue
        if re.search(r"http://", body) or re.search(r"^\s*(ssl_enabled|ssl)\s*=>\s*false\b", body, re.M):
            problems.append(f"Logstash output {plugin} is not https")
        if re.search(r"^\s*(ssl_verification_mode\s*=>\s*\"?none|ssl_certificate_verification\s*=>\s*false)", body, re.M):
            problems.append(f"Logstash output {plugin} turns off certificate verification")
    return problems


def fluentd_tls_problems(text: str) -> list[str]:
    """Fluentd: a forward input without `<transport tls>`, and network outputs in clear or without verification."""
    problems = []
    for source in re.findall(r"<source>(.*?)</source>", text, re.S):
        if re.search(r"@type\s+forward\b", source) and not re.search(r"<transport\s+tls>", source):
            problems.append("Fluentd forward input accepts connections without TLS (<transport tls>)")
    for match in re.findall(r"<match[^>]*>(.*?)</match>", text, re.S):
        found = re.search(r"@type\s+(\S+)", match)
        plugin = found.group(1) if found else "?"
        if re.search(r"^\s*url\s+\"?http://", match, re.M) or re.search(r"^\s*scheme\s+http\s*$", match, re.M):
            problems.append(f"Fluentd output {plugin} is not https")
        if re.search(r"^\s*(insecure_tls\s+true|ssl_verify\s+false|tls_insecure_mode\s+true)\s*$", match, re.M):
            problems.append(f"Fluentd output {plugin} turns off certificate verification")
        if plugin == "elasticsearch" and not re.search(r"^\s*scheme\s+https\s*$", match, re.M):
            problems.append("Fluentd output elasticsearch is not https (scheme https)")
        if plugin == "forward" and not re.search(r"^\s*transport\s+tls\s*$", match, re.M):
            problems.append("Fluentd output forward does not use TLS (transport tls)")
    return problems


def alloy_tls_problems(text: str) -> list[str]:
    problems = [f"Alloy endpoint {url} is not https" for url in re.findall(r'url\s*=\s*"(http://[^"]+)"', text)]
    if re.search(r"insecure_skip_verify\s*=\s*true", text):
        problems.append("Alloy tls_config sets insecure_skip_verify = true")
    return problems


# The Datadog Agent's switches that send logs in clear or accept any certificate (its logs_config and skip_ssl_validation).
DATADOG_INSECURE_ENV = {
    "DD_LOGS_CONFIG_LOGS_NO_SSL": "sends logs to the intake without TLS",
    "DD_SKIP_SSL_VALIDATION": "turns off certificate verification",
}
# Where the Datadog chart takes extra environment variables for its agents.
DATADOG_CHART_ENV = (("datadog", "env"), ("agents", "containers", "agent", "env"))


def datadog_env_tls_problems(env: object) -> list[str]:
    """TLS problems of a Datadog Agent's environment (a list of {name, value})."""
    problems = []
    for entry in as_list(env):
        name, value = str(get(entry, "name") or ""), get(entry, "value")
        if DATADOG_INSECURE_ENV.get(name) and truthy(str(value)):
            problems.append(f"Datadog Agent {name}={value} {DATADOG_INSECURE_ENV[name]}")
        if name == "DD_LOGS_CONFIG_LOGS_DD_URL" and str(value).startswith("http://"):
            problems.append(f"Datadog Agent {name}={value} is not https")
    return problems
