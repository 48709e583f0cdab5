from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from policies.framework import BASELINE, Check, Report, resource_policy
from policies.lib import rendered
from policies.lib.values import plain


@resource_policy(
    name="helm-releases-rendered",
    description="Every Helm Release renders from the local chart cache, so the pack judges every object it will apply.",
    criteria=("CC7.1", "CC8.1"),
    anchors="logmesh: docs/preflight.md, Helm charts",
    severity=Severity.MEDIUM,
    remediation="Run `make charts` (or set PREFLIGHT_CHART_CACHE to a folder holding <chart>-<version>.tgz) before "
    "`pulumi preview --policy-pack policies`; fix values the chart's values.schema.json rejects.",
    domain="kubernetes",
    types=(rendered.RELEASE_TYPE,),
    tier=BASELINE,
)
def helm_releases_rendered(args: ResourceValidationArgs, report: Report, check: Check) -> None:
    """Under preflight, which renders Releases itself and lists those it could not in its verdict, this reports
    nothing (policies/lib/rendered.py)."""
    if not rendered.pack_renders():
        return
    # Inputs a first preview cannot know (a namespace, a bucket name): the analyzer's advisory "can't be known during
    # preview", not a violation, so a new stack's first `pulumi up` is not blocked; the next preview renders them.
    plain(args.props)
    outcome = rendered.render(args.urn, args.name, args.props)
    if outcome.reason:
        report(f"not rendered, so none of the objects it would apply were judged: {outcome.reason}")
