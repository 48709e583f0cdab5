"""Record stage, charts: render every `kubernetes:helm.sh/v3:Release` offline and register what it would create.

The engine is Helm's own (Go SDK v4.2.3 bundled in helm-python-sdk, pinned in pyproject.toml; no helm binary, no
cluster): values are validated against the chart's values.schema.json, templates and helpers render as under
`helm template`, and the CRDs of `crds/` (which `helm install`, so the Release, applies) are added. Each object is
registered as the ordinary resource Pulumi would register for it (`kubernetes:<group>/<version>:<Kind>`, wire
inputs, parent = the Release, its provider and source line), so the pack judges it like any other.

Charts come from the local cache (`python -m preflight charts`, preflight/record/chart_cache.py), never from the
network. A release whose chart is not in the cache is reported as not rendered, never skipped silently.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from preflight.errors import InputError
from preflight.record.recording import ChartsOutcome, NotRendered, Recording, Registration
from preflight.secrets import is_secret, secret, secret_strings

RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
# The Kubernetes version the charts see in `.Capabilities.KubeVersion`: the one logmesh's namespaces pin their Pod
# Security level to (components/kubernetes.py POD_SECURITY_VERSION). Helm 4.2.3's own default is v1.36.0.
KUBE_VERSION = "v1.33.0"
CLUSTER_SCOPED = {
    "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration", "PersistentVolume", "StorageClass", "PriorityClass", "IngressClass", "APIService",
    "CSIDriver", "RuntimeClass", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
}  # fmt: skip
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster on eck-operator's 846 KiB of CRDs


def archive_name(chart: str, version: str) -> str:
    """The file a chart version is cached as, named as `helm package` and chart repositories name it."""
    return f"{chart}-{version}.tgz"


def type_token(api_version: str, kind: str) -> str:
    """`kubernetes:<group>/<version>:<Kind>`, the token pulumi-kubernetes registers an object under (core is `core`)."""
    group, _, version = api_version.rpartition("/")
    return f"kubernetes:{group or 'core'}/{version}:{kind}"


def plain_values(value: Any) -> Any:
    """Values as Helm gets them: the value under every secret marker."""
    if is_secret(value):
        return plain_values(value.get("value"))
    if isinstance(value, dict):
        return {k: plain_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_values(v) for v in value]
    return value


def _mark_secrets(value: Any, secrets: set[str]) -> Any:
    """Every rendered string that carries a secret value of the release's values is itself marked secret."""
    if not secrets:
        return value
    if isinstance(value, str):
        return secret(value) if any(s in value for s in secrets) else value
    if isinstance(value, dict):
        return {k: _mark_secrets(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_mark_secrets(v, secrets) for v in value]
    return value


def _condition_off(merged: dict[str, Any], condition: str | None) -> bool:
    if not condition:
        return False
    value: Any = merged
    for key in condition.split(",")[0].strip().split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value is False


def render_objects(chart: Any, values: dict[str, Any], name: str, namespace: str) -> list[tuple[str, dict[str, Any]]]:
    """(template, object) for everything the release would apply: CRDs of enabled charts' `crds/`, then templates.

    `Chart.render` of helm-python-sdk 0.2.2 does not take the Kubernetes version; its native `helm_render` does
    (a private call, pinned with the package; tests/preflight/record/test_charts.py guards it)."""
    from helm_python import _native

    options = {"name": name, "namespace": namespace, "kube_version": KUBE_VERSION}
    manifests: dict[str, str] = json.loads(_native.call_string("helm_render", chart._raw(), json.dumps(values), json.dumps(options)))
    merged = chart.merge_values(values)
    conditions = {d.get("alias") or d["name"]: d.get("condition") for d in chart.metadata.get("dependencies") or []}
    documents: list[tuple[str, str]] = []
    for crd in chart.crds:
        parts = crd["filename"].split("/")
        subchart = parts[parts.index("charts") + 1] if "charts" in parts else None
        if not _condition_off(merged, conditions.get(subchart) if subchart else None):
            documents.append((crd["filename"], crd["data"]))
    documents += [(path, manifests[path]) for path in sorted(manifests) if path.endswith((".yaml", ".yml", ".json", ".tpl"))]
    objects: list[tuple[str, dict[str, Any]]] = []
    for path, text in documents:
        for doc in yaml.load_all(text, Loader=_LOADER):
            if not isinstance(doc, dict) or not doc.get("kind"):
                continue
            listed = doc.get("items")
            items: list[Any] = listed if str(doc["kind"]).endswith("List") and isinstance(listed, list) else [doc]
            objects += [(path, item) for item in items if isinstance(item, dict)]
    return objects


def _load(cache: Path, chart: str, version: str) -> Any | None:
    import helm_python

    archive = cache / archive_name(chart, version)
    folder = cache / f"{chart}-{version}"
    source = archive if archive.is_file() else folder if folder.is_dir() else None
    if source is None:
        return None
    loaded = helm_python.Chart.load(str(source))
    if (loaded.name, loaded.version) != (chart, version):
        raise InputError(
            f"chart cache {source}: holds {loaded.name} {loaded.version}, not {chart} {version}; run `python -m preflight charts` again"
        )
    return loaded


def _registration(release: Registration, template: str, obj: dict[str, Any], secrets: set[str]) -> Registration:
    api_version, kind = str(obj.get("apiVersion") or "v1"), str(obj["kind"])
    if not isinstance(obj.get("metadata"), dict):
        obj["metadata"] = {}
    metadata = obj["metadata"]
    namespace = str(release.inputs.get("namespace") or "default")
    if kind not in CLUSTER_SCOPED:
        metadata.setdefault("namespace", namespace)
    object_name = str(metadata.get("name") or template)
    name = f"{release.name}:{metadata['namespace']}/{object_name}" if kind not in CLUSTER_SCOPED else f"{release.name}:{object_name}"
    type_ = type_token(api_version, kind)
    stack_project, qualified = release.urn.split("::")[:2], release.urn.split("::")[2]
    urn = "::".join([*stack_project, f"{qualified}${type_}", name])
    return Registration(
        urn=urn,
        type=type_,
        name=name,
        custom=True,
        parent=release.urn,
        inputs=_mark_secrets(obj, secrets),
        provider=release.provider,
        source_file=release.source_file,
        source_line=release.source_line,
    )


def render_release(release: Registration, cache: Path) -> list[Registration] | NotRendered:
    """The objects one Release would apply, as children of it; NotRendered when its chart is not in `cache`.

    Values the chart's schema rejects, or a chart that fails to render, are InputError naming the release. The
    policy pack renders Releases with this too, under `pulumi preview --policy-pack` (policies/lib/rendered.py)."""
    import helm_python

    chart, version = str(release.inputs.get("chart") or ""), str(release.inputs.get("version") or "")
    loaded = _load(cache, chart, version)
    if loaded is None:
        return _missing(release, f"{archive_name(chart, version)} is not in the chart cache")
    raw_values = release.inputs.get("values") or {}
    secrets, values = secret_strings([raw_values]), plain_values(raw_values)
    namespace = str(release.inputs.get("namespace") or "default")
    try:
        objects = render_objects(loaded, values, str(release.inputs.get("name") or release.name), namespace)
    except helm_python.HelmValuesError as exc:
        raise InputError(
            f"release {release.name} ({chart} {version}): its values do not meet the chart's values.schema.json: {exc}"
        ) from None
    except helm_python.HelmError as exc:
        raise InputError(f"release {release.name} ({chart} {version}) does not render: {type(exc).__name__}: {exc}") from None
    finally:
        loaded.close()
    return [_registration(release, template, obj, secrets) for template, obj in objects]


def render_releases(recording: Recording, cache: Path, label: str = "") -> ChartsOutcome:
    """Adds every object of every Release to `recording` (children of the Release), returns what was (not) rendered.

    A release whose values the chart's schema rejects is bad input: InputError naming the release (exit 2).
    `label` is how reports name the cache (default: its path)."""
    outcome = ChartsOutcome(label or str(cache))
    recording.charts = outcome
    releases = recording.of_type(RELEASE_TYPE)
    if not releases:
        return outcome
    if not cache.is_dir():  # without a cache, do not even load the engine (0.2-0.5 s)
        outcome.not_rendered = [_missing(r, "no chart cache") for r in releases]
        return outcome
    try:
        import helm_python  # noqa: F401
    except ImportError:  # pragma: no cover - pinned in pyproject.toml
        outcome.not_rendered = [_missing(r, "helm-python-sdk is not installed") for r in releases]
        return outcome
    added: list[Registration] = []
    for release in releases:
        rendered = render_release(release, cache)
        if isinstance(rendered, NotRendered):
            outcome.not_rendered.append(rendered)
            continue
        outcome.rendered[release.urn] = len(rendered)
        added += rendered
    recording.resources = _after_parents(recording.resources, added)
    return outcome


def _missing(release: Registration, reason: str) -> NotRendered:
    return NotRendered(release.urn, str(release.inputs.get("chart") or ""), str(release.inputs.get("version") or ""), reason)


def _after_parents(resources: list[Registration], added: list[Registration]) -> list[Registration]:
    """Each release's objects right after the release, in render order: the stable order reports rely on."""
    children: dict[str, list[Registration]] = {}
    for r in added:
        children.setdefault(r.parent, []).append(r)
    ordered: list[Registration] = []
    for r in resources:
        ordered.append(r)
        ordered += sorted(children.get(r.urn, []), key=lambda c: c.urn)
    return ordered
