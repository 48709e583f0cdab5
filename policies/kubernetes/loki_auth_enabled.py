from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from policies.framework import Check, Report, bool_setting, resource_policy
from policies.lib.kubernetes import as_resource, chart_of, values_of
from policies.lib.types import HELM_TYPES
from policies.lib.values import falsy, get, truthy


@resource_policy(
    name="loki-auth-enabled",
    description="Loki releases keep multi-tenancy auth on (loki.auth_enabled, the chart's default) and are reached "
    "through the chart's gateway with basic auth on (unless require_gateway_basic_auth is false).",
    criteria=("CC6.1", "CC6.3"),
    anchors="logmesh (no public anchor)",
    severity=Severity.HIGH,
    remediation="Leave loki.auth_enabled true, keep gateway.enabled and set gateway.basicAuth.enabled true with an "
    "existingSecret holding the htpasswd.",
    domain="kubernetes",
    types=HELM_TYPES,
    settings={"require_gateway_basic_auth": bool_setting(True, "Require the chart gateway's basic auth.")},
)
def loki_auth_enabled(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    resource = as_resource(args)
    if chart_of(resource) != "loki":
        return
    values = values_of(resource)
    # The chart renders loki.structuredConfig over the config built from loki.auth_enabled, so it wins.
    structured = get(values, "loki", "structuredConfig", "auth_enabled")
    path, auth = (
        ("loki.structuredConfig.auth_enabled", structured)
        if structured is not None
        else ("loki.auth_enabled", get(values, "loki", "auth_enabled"))
    )
    if falsy(auth):
        report(f"{path} is false: every client writes and reads the single 'fake' tenant")
    if check.settings["require_gateway_basic_auth"]:
        if falsy(get(values, "gateway", "enabled")):
            report("gateway.enabled is false: Loki is reached without the authenticating gateway")
        elif not truthy(get(values, "gateway", "basicAuth", "enabled")):
            report("gateway.basicAuth.enabled is not true: the gateway does not authenticate clients")
