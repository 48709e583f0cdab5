from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs, Severity

from policies import exceptions
from policies.framework import Check, Report, resource_policy
from policies.lib.destinations import VENDOR_DOMAINS, Destination, destinations
from policies.lib.kubernetes import as_resource
from policies.lib.types import CONFIG_MAP, DATADOG_AGENT, HELM_TYPES
from policies.lib.values import as_list, get

APPROVAL = {
    "type": "object",
    "additionalProperties": False,
    "required": ["vendor", "site", "approved_by", "expires", "reason"],
    "properties": {
        "vendor": {"type": "string", "enum": sorted(VENDOR_DOMAINS), "description": "the third party logs go to"},
        "site": {"type": "string", "pattern": r"^[a-z0-9.-]+$", "description": "its site or region, such as datadoghq.eu"},
        "approved_by": {"type": "string", "pattern": r"\S", "description": "who approved sending logs there (e-mail or user)"},
        "expires": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "format": "date"},
        "reason": {"type": "string", "pattern": r"\S", "description": "why, and the vendor review it rests on"},
    },
}
SETTINGS = {
    "approved_destinations": {
        "type": "array",
        "default": [],
        "items": APPROVAL,
        "description": "Third parties logs may be sent to: vendor, site, approver, expiry (at most "
        f"{exceptions.MAX_DAYS} days ahead) and reason.",
    }
}


def _verdict(destination: Destination, approvals: list[Mapping[str, Any]]) -> str | None:
    """Why sending to `destination` is not allowed, or None when an unexpired approval covers it."""
    matching = [a for a in approvals if get(a, "vendor") == destination.vendor and get(a, "site") == destination.site]
    fix = (
        f"add {{vendor: {destination.vendor}, site: {destination.site}, approved_by, expires, reason}} to "
        "external-log-destination-approved.approved_destinations in the policy config"
    )
    if not matching:
        return f"{destination.where} sends logs to {destination.label}, a third party not approved for this stack: {fix}"
    latest = max(matching, key=lambda a: str(get(a, "expires")))
    expires = datetime.date.fromisoformat(str(get(latest, "expires")))
    days = (expires - exceptions.today()).days
    if days < 0:
        return (
            f"{destination.where} sends logs to {destination.label}; the approval by {get(latest, 'approved_by')} expired on "
            f"{expires.isoformat()}: renew it (a new expiry) or stop sending"
        )
    if days > exceptions.MAX_DAYS:
        return (
            f"{destination.where} sends logs to {destination.label}; its approval runs {days} days, more than "
            f"{exceptions.MAX_DAYS}: set an expiry within a year and review the vendor again then"
        )
    return None


@resource_policy(
    name="external-log-destination-approved",
    description="Logs leave for a third party (a Datadog output or agent) only where the policy config names that vendor "
    "and site with an approver and an unexpired expiry.",
    criteria=("C1.1", "CC9.2"),
    anchors="logmesh (vendor risk: approved log destinations)",
    severity=Severity.HIGH,
    remediation="Record the approval in approved_destinations (vendor, site, approved_by, expires within a year, reason), "
    "or remove the output; renew an approval before it expires.",
    domain="kubernetes",
    types=(*HELM_TYPES, CONFIG_MAP, DATADOG_AGENT),
    settings=SETTINGS,
)
def external_log_destination_approved(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    """Sending logs to a third party is a confidentiality decision (C1.1) and a vendor relationship (CC9.2): it must
    be approved, by someone, until a date. TLS to the intake and credentials are collector-backend-tls' and
    no-plaintext-credentials' (docs/policy-pack.md)."""
    approvals = [a for a in as_list(check.settings["approved_destinations"]) if isinstance(a, Mapping)]
    for destination in destinations(as_resource(args)):
        problem = _verdict(destination, approvals)
        if problem is not None:
            report(problem)
