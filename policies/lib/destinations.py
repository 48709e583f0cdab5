"""Where a resource sends logs outside the organisation: third-party intakes named in collector configurations
(Fluent Bit classic and YAML outputs, Alloy exporters) and vendor agents (the Datadog Agent chart and operator).

Each vendor is data: its intake domains and how a host names its site, so another vendor is one more entry."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pulumi_policy import PolicyResource

from policies.lib.collector_config import fluent_bit_sections, fluent_bit_yaml_outputs
from policies.lib.kubernetes import chart_of, string_leaves, values_of
from policies.lib.types import CONFIG_MAP, DATADOG_AGENT
from policies.lib.values import get

# vendor -> the domains its intakes live under; a site is what follows the intake's service prefix.
VENDOR_DOMAINS = {"datadog": ("datadoghq.com", "datadoghq.eu", "ddog-gov.com")}
# Fluent Bit outputs that always go to a vendor, and their default host when none is set.
VENDOR_OUTPUTS = {"datadog": ("datadog", "http-intake.logs.datadoghq.com")}
# vendor -> the service prefix of its intake hosts, which the site follows (`http-intake.logs.datadoghq.eu`: datadoghq.eu).
VENDOR_INTAKE_PREFIXES = {"datadog": re.compile(r"^(http-intake\.logs|agent-http-intake\.logs|tcp-intake\.logs|intake\.logs)\.")}
DATADOG_DEFAULT_SITE = "datadoghq.com"


@dataclass(frozen=True)
class Destination:
    vendor: str
    site: str
    where: str  # the part of the resource that names it

    @property
    def label(self) -> str:
        return f"{self.vendor} ({self.site})"


def vendor_of(host: str) -> tuple[str, str] | None:
    """(vendor, site) of an intake host, or None when the host is no vendor's."""
    host = host.strip().lower().rstrip(".")
    for vendor, domains in VENDOR_DOMAINS.items():
        if any(host == d or host.endswith("." + d) for d in domains):
            prefix = VENDOR_INTAKE_PREFIXES.get(vendor)
            return vendor, prefix.sub("", host) if prefix else host
    return None


def _output_destination(name: str, host: str | None, where: str) -> Destination | None:
    plugin = name.strip().lower()
    for vendor, (output, default_host) in VENDOR_OUTPUTS.items():
        if plugin == output:
            found = vendor_of(host or default_host)
            return Destination(vendor, found[1] if found else (host or default_host), where)
    found = vendor_of(host) if host else None
    return Destination(found[0], found[1], where) if found else None


def config_destinations(text: str, where: str) -> list[Destination]:
    """Third parties a collector configuration string sends to."""
    found: list[Destination] = []
    if "[OUTPUT]" in text.upper():
        for section, entries in fluent_bit_sections(text):
            if section == "OUTPUT":
                found += [d for d in [_output_destination(entries.get("name", ""), entries.get("host"), where)] if d]
    if "pipeline:" in text:
        for output in fluent_bit_yaml_outputs(text):
            entries = {str(k).lower(): str(v) for k, v in output.items()}
            found += [d for d in [_output_destination(entries.get("name", ""), entries.get("host"), where)] if d]
    if "otelcol.exporter.datadog" in text:
        site = re.search(r'\bsite\s*=\s*"([^"]+)"', text)
        found.append(Destination("datadog", site.group(1) if site else DATADOG_DEFAULT_SITE, where))
    return found


def destinations(resource: PolicyResource) -> list[Destination]:
    """Every third party `resource` sends logs to, once per vendor and site."""
    found: list[Destination] = []
    chart = chart_of(resource)
    if chart == "datadog":
        site = str(get(values_of(resource), "datadog", "site") or DATADOG_DEFAULT_SITE)
        found.append(Destination("datadog", site, "the Datadog Agent chart (values.datadog.site)"))
    elif chart:
        found += [d for path, text in string_leaves(values_of(resource)) for d in config_destinations(text, f"values.{path}")]
    elif resource.resource_type == CONFIG_MAP:
        for key, text in (get(resource.props, "data") or {}).items():
            if isinstance(text, str):
                found += config_destinations(text, f"data.{key}")
    elif resource.resource_type == DATADOG_AGENT:
        site = str(get(resource.props, "spec", "global", "site") or DATADOG_DEFAULT_SITE)
        found.append(Destination("datadog", site, "DatadogAgent spec.global.site"))
    unique: dict[tuple[str, str], Destination] = {}
    for d in found:
        unique.setdefault((d.vendor, d.site), d)
    return list(unique.values())
