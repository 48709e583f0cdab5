"""What a Helm Release renders, seen by the pack itself: the `pulumi preview --policy-pack policies` path.

Under the Pulumi CLI the pack receives each `kubernetes:helm.sh/v3:Release` with its inputs (chart, version,
values, namespace) and never the objects Helm will apply. So the pack renders each Release from those inputs with
preflight's engine and chart cache (preflight/record/charts.py render_release: helm-python-sdk, the same
`<name>-<version>` archives `make charts` fetches) and judges every rendered object with every policy, reported on
the Release and naming the object (policies/framework.py). A Release it cannot render is reported by
`helm-releases-rendered`, never passed silently.

preflight renders Releases itself and registers their objects as resources; it sets RENDERED_BY_PREFLIGHT_ENV
while the pack runs (preflight/analyze/servicer.py) so the objects are not judged twice.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from policies.lib.values import plain

RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
RENDERED_BY_PREFLIGHT_ENV = "LOGMESH_RELEASES_RENDERED_BY_PREFLIGHT"
PROJECT_DIR = Path(__file__).resolve().parents[2]  # the cache is preflight's: $PREFLIGHT_CHART_CACHE, else <project>/.charts


@dataclass(frozen=True)
class Rendered:
    """One rendered object: its URN (as preflight names it), type token, logical name and wire props."""

    urn: str
    type: str
    name: str
    props: dict[str, Any]

    def label(self) -> str:
        """How messages name it: `rendered ClusterRole elastic-operator`."""
        kind = self.type.rsplit(":", 1)[-1]
        return f"rendered {kind} {self.name.split(':', 1)[-1]}"


@dataclass
class Outcome:
    objects: list[Rendered] = field(default_factory=list)
    reason: str = ""  # why the release was not rendered; "" when it was


_rendered: dict[str, Outcome] = {}  # per Release URN and inputs: one render per run, shared by every policy


def pack_renders() -> bool:
    return os.environ.get(RENDERED_BY_PREFLIGHT_ENV) != "1"


def render(urn: str, name: str, props: Mapping[str, Any], provider: str = "") -> Outcome:
    """The objects of one Release (memoised on its URN, the cache and its inputs); the reason when it cannot be rendered."""
    try:
        import helm_python  # noqa: F401

        from preflight.record.chart_cache import CACHE_ENV, CACHE_FOLDER
    except ImportError as exc:  # the pack copied without preflight, or without helm-python-sdk
        return Outcome(reason=f"the chart engine is not importable ({exc})")
    cache = Path(os.environ.get(CACHE_ENV) or PROJECT_DIR / CACHE_FOLDER)
    if not cache.is_dir():  # before reading the inputs: every policy asks, for every Release
        return Outcome(reason=f"no chart cache at {cache} (run `make charts`, or set {CACHE_ENV})")
    try:
        inputs = plain(props)
    except UnknownValueError:
        return Outcome(reason="its inputs are not known until the update (preview); run the preview again after it")
    key = "\0".join([urn, str(cache), json.dumps(inputs, sort_keys=True, default=str)])
    if key not in _rendered:
        _rendered[key] = _render(urn, name, inputs, provider, cache)
    return _rendered[key]


def _render(urn: str, name: str, inputs: dict[str, Any], provider: str, cache: Path) -> Outcome:
    from preflight.errors import InputError
    from preflight.record.charts import render_release
    from preflight.record.recording import NotRendered, Registration

    release = Registration(urn=urn, type=RELEASE_TYPE, name=name, custom=True, parent="", inputs=inputs, provider=provider)
    try:
        result = render_release(release, cache)
    except InputError as exc:
        return Outcome(reason=str(exc))
    if isinstance(result, NotRendered):
        return Outcome(reason=result.reason)
    return Outcome([Rendered(r.urn, r.type, r.name, r.inputs) for r in result])


def resource_args(release: ResourceValidationArgs) -> list[tuple[Rendered, ResourceValidationArgs]]:
    """Each object a Release renders, as the args a resource policy gets (the Release's options, provider, config)."""
    if release.resource_type != RELEASE_TYPE or not pack_renders():
        return []
    outcome = render(release.urn, release.name, release.props, _provider_urn(release.provider))
    return [
        (obj, ResourceValidationArgs(obj.type, obj.props, obj.urn, obj.name, release.opts, release.provider, release.get_config()))
        for obj in outcome.objects
    ]


def stack_resources(args: StackValidationArgs) -> dict[str, tuple[PolicyResource, Rendered]]:
    """Rendered object URN -> (the object as a stack policy sees it, parent = its Release; the Rendered)."""
    if not pack_renders():
        return {}
    found: dict[str, tuple[PolicyResource, Rendered]] = {}
    for release in args.resources:
        if release.resource_type != RELEASE_TYPE:
            continue
        for obj in render(release.urn, release.name, release.props, _provider_urn(release.provider)).objects:
            resource = PolicyResource(obj.type, obj.props, obj.urn, obj.name, release.opts, release.provider, release, [], {})
            found[obj.urn] = (resource, obj)
    return found


def _provider_urn(provider: Any) -> str:
    return str(getattr(provider, "urn", "") or "")
