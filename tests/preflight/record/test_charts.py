"""Rendering Helm releases offline: a small chart written here (templates, a _helpers.tpl, a values schema, a CRD, a
vendored subchart with a condition) rendered from a chart cache with Helm's own engine, every object registered as
the resource Pulumi would register, attributed to its release; a schema violation or a missing cache reported."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from preflight.record.charts import archive_name, render_releases, type_token
from preflight.record.program import record_program
from preflight.secrets import is_secret
from tests.preflight.conftest import write_pack, write_project

CHARTS = Path(__file__).resolve().parent / "charts"
RELEASE_URN = "urn:pulumi:dev::charted::kubernetes:helm.sh/v3:Release::web"

PROGRAM = """
import pulumi
import pulumi_kubernetes as k8s

config = pulumi.Config()
k8s.helm.v3.Release(
    "web",
    name="web",
    chart="demo",
    version="1.2.3",
    namespace="apps",
    repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo="https://charts.example.org"),
    values={"replicas": config.get_object("replicas") or 3, "password": config.require_secret("password"),
            "sub": {"enabled": config.get_bool("sub") is not False}},
)
"""
STACK = """
config:
  charted:password: hunter2-very-secret
"""


def build_cache(directory: Path, chart: str = "demo", version: str = "1.2.3") -> Path:
    """`<cache>/<chart>-<version>.tgz` as `helm package` lays it out: the chart folder at the archive's root."""
    directory.mkdir(parents=True, exist_ok=True)
    with tarfile.open(directory / archive_name(chart, version), "w:gz") as archive:
        archive.add(CHARTS / chart, arcname=chart)
    return directory


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "charted", PROGRAM, name="charted", stack_config=STACK)


def record(project: Path, **config: object) -> object:
    values: dict[str, object] = {"charted:password": "hunter2-very-secret", **{f"charted:{k}": v for k, v in config.items()}}
    return record_program(project / "__main__.py", "charted", "dev", values, ["charted:password"])


def test_type_tokens_are_pulumis() -> None:
    assert type_token("v1", "ConfigMap") == "kubernetes:core/v1:ConfigMap"
    assert type_token("apps/v1", "DaemonSet") == "kubernetes:apps/v1:DaemonSet"
    assert type_token("rbac.authorization.k8s.io/v1", "ClusterRole") == "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"


def test_every_object_is_registered_under_its_release(project: Path, tmp_path: Path) -> None:
    recording = record(project)
    outcome = render_releases(recording, build_cache(tmp_path / "cache"))  # type: ignore[arg-type]
    release = recording.by_urn()[RELEASE_URN]  # type: ignore[attr-defined]
    children = [r for r in recording.resources if r.parent == RELEASE_URN]  # type: ignore[attr-defined]
    by_type = {r.type: r for r in children}
    assert sorted(by_type) == [
        "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",  # crds/, applied by helm install
        "kubernetes:apps/v1:Deployment",
        "kubernetes:core/v1:ConfigMap",  # the subchart
        "kubernetes:core/v1:Secret",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    ]
    assert outcome.rendered == {RELEASE_URN: 5} and outcome.not_rendered == []
    deployment = by_type["kubernetes:apps/v1:Deployment"]
    assert deployment.urn == "urn:pulumi:dev::charted::kubernetes:helm.sh/v3:Release$kubernetes:apps/v1:Deployment::web:apps/web-server"
    assert deployment.custom and deployment.provider == release.provider and deployment.source_line == release.source_line
    # Wire names, helpers expanded, values merged with the chart's defaults, the release's namespace filled in.
    assert deployment.inputs["metadata"] == {
        "name": "web-server",
        "namespace": "apps",
        "labels": {"app.kubernetes.io/name": "demo", "app.kubernetes.io/instance": "web", "helm.sh/chart": "demo-1.2.3"},
    }
    assert deployment.inputs["spec"]["replicas"] == 3
    assert deployment.inputs["spec"]["template"]["spec"]["containers"][0]["image"] == "example.org/demo:4.5"
    role = by_type["kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"]
    assert "namespace" not in role.inputs["metadata"] and role.name == "web:web-reader"
    # A secret value of the release stays secret in what it renders to.
    password = by_type["kubernetes:core/v1:Secret"].inputs["stringData"]["password"]
    assert is_secret(password) and password["value"] == "hunter2-very-secret"
    # Each release's objects follow it, so reports stay in a stable order.
    index = recording.resources.index(release)  # type: ignore[attr-defined]
    assert recording.resources[index + 1 : index + 6] == sorted(children, key=lambda r: r.urn)  # type: ignore[attr-defined]


def test_a_disabled_subchart_renders_nothing(project: Path, tmp_path: Path) -> None:
    recording = record(project, sub=False)
    render_releases(recording, build_cache(tmp_path / "cache"))  # type: ignore[arg-type]
    types = {r.type for r in recording.resources if r.parent == RELEASE_URN}  # type: ignore[attr-defined]
    assert "kubernetes:core/v1:ConfigMap" not in types and "kubernetes:apps/v1:Deployment" in types


def test_no_cache_and_a_missing_chart_are_reported(project: Path, tmp_path: Path) -> None:
    recording = record(project)
    outcome = render_releases(recording, tmp_path / "nowhere")  # type: ignore[arg-type]
    assert [(n.release, n.chart, n.version, n.reason) for n in outcome.not_rendered] == [(RELEASE_URN, "demo", "1.2.3", "no chart cache")]
    other = record(project)
    outcome = render_releases(other, _cache_with_other(tmp_path))  # type: ignore[arg-type]
    assert [n.reason for n in outcome.not_rendered] == ["demo-1.2.3.tgz is not in the chart cache"]
    assert not [r for r in other.resources if r.parent == RELEASE_URN]  # type: ignore[attr-defined]


def _cache_with_other(tmp_path: Path) -> Path:
    cache = tmp_path / "other-cache"
    cache.mkdir()
    (cache / "unrelated-0.1.0.tgz").write_bytes(b"")
    return cache


def test_cli_names_the_release_whose_values_break_the_schema(project: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (project / "Pulumi.dev.yaml").write_text(STACK + '  charted:replicas: "\\"many\\""\n', encoding="utf-8")
    pack = write_pack(tmp_path / "pack")
    result = cli("--project-dir", project, "--policy-pack", pack, "--chart-cache", build_cache(tmp_path / "cache"))
    assert result.code == 2
    assert result.err.startswith("preflight: release web (demo 1.2.3): its values do not meet the chart's values.schema.json")
    assert "replicas" in result.err and "Traceback" not in result.err


@pytest.mark.parametrize("format_", ["text", "markdown", "json", "sarif"])
def test_every_report_says_which_releases_were_not_rendered(project: Path, tmp_path: Path, cli, format_: str) -> None:  # type: ignore[no-untyped-def]
    pack = write_pack(tmp_path / "pack")
    result = cli("--project-dir", project, "--policy-pack", pack, "--chart-cache", tmp_path / "none", "--format", format_)
    assert result.code == 0
    if format_ in ("json", "sarif"):
        charts = result.json()["charts"] if format_ == "json" else result.json()["runs"][0]["properties"]["charts"]
        assert charts["not_rendered"] == [{"release": RELEASE_URN, "chart": "demo", "version": "1.2.3", "reason": "no chart cache"}]
    else:
        assert "PASSED: no mandatory violation; 1 release not rendered" in result.out
        assert "web (demo 1.2.3): no chart cache" in result.out


def test_cli_with_a_cache_reports_the_rendered_objects(project: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    pack = write_pack(tmp_path / "pack")
    result = cli("--project-dir", project, "--policy-pack", pack, "--chart-cache", build_cache(tmp_path / "cache"), "--format", "json")
    document = result.json()
    assert result.code == 0 and document["charts"]["not_rendered"] == [] and document["charts"]["rendered"] == {RELEASE_URN: 5}
    rendered = [r for r in document["resources"] if r["parent"] == RELEASE_URN]
    assert len(rendered) == 5
    markdown = cli("--project-dir", project, "--policy-pack", pack, "--chart-cache", tmp_path / "cache", "--format", "markdown").out
    assert "| `web` | 5 | ClusterRole 1, ConfigMap 1, CustomResourceDefinition 1, Deployment 1, Secret 1 |" in markdown
    assert next(r for r in rendered if r["type"] == "kubernetes:core/v1:Secret")["inputs"]["stringData"]["password"] == "[secret]"
