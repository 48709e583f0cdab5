"""Every credential leaf must be `secure:` in the stack file: one secure sibling does not make a plaintext leaf secret."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from components.config.schema import ConfigError
from preflight.record.program import record_program
from preflight.record.project import load_project, load_stack_config
from tests.helpers.harness import PROJECT

KUBECONFIG = "apiVersion: v1\nkind: Config\n"
ALERTMANAGER = "https://alertmanager.monitoring.svc.cluster.local:9093"


def _project(tmp_path: Path, extra: dict[str, object]) -> Path:
    """A copy of the logmesh project whose prod stack file adds `extra` to the example's config."""
    shutil.copy(PROJECT.directory / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(PROJECT.main, tmp_path / "__main__.py")
    document = yaml.safe_load((PROJECT.stack_file("prod")).read_text(encoding="utf-8"))
    document["config"].update(extra)
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.prod.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    return tmp_path


def _record(project_dir: Path) -> None:
    project = load_project(project_dir)
    config = load_stack_config(project, "prod")
    record_program(project.main, project.name, "prod", config.values, config.secret_keys)


@pytest.mark.parametrize(
    ("extra", "leaf"),
    [
        (
            {"logmesh:kubeconfigs": {"prod-eks-usw2": {"secure": "v1:abc"}, "prod-gke-euw4": KUBECONFIG}},
            "logmesh:kubeconfigs.prod-gke-euw4",
        ),
        (
            {"logmesh:alerting": {"alertmanager_url": ALERTMANAGER, "username": {"secure": "v1:abc"}, "password": "hunter2"}},
            "logmesh:alerting.password",
        ),
    ],
)
def test_a_plaintext_credential_beside_a_secure_sibling_is_refused(tmp_path: Path, extra: dict[str, object], leaf: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _record(_project(tmp_path, extra))
    assert caught.value.problems == [
        f"{leaf}: holds credentials and must be a secret; set it with `pulumi config set --secret --path '{leaf}' <value>`"
    ]
    assert caught.value.registrations == []  # type: ignore[attr-defined]


def test_a_plaintext_datadog_api_key_beside_a_secure_sibling_is_refused(tmp_path: Path) -> None:
    datadog = {"site": "datadoghq.eu", "api_key": "0123456789abcdef", "stores": [{"secure": "v1:abc"}]}
    with pytest.raises(ConfigError) as caught:
        _record(_project(tmp_path, {"logmesh:datadog": datadog}))
    leaf = "logmesh:datadog.api_key"
    assert f"{leaf}: holds credentials and must be a secret; set it with `pulumi config set --secret --path '{leaf}' <value>`" in (
        caught.value.problems
    )
    assert "0123456789abcdef" not in str(caught.value)


def test_credentials_secure_leaf_by_leaf_pass(tmp_path: Path) -> None:
    secure = {"secure": "v1:abc"}
    _record(
        _project(
            tmp_path,
            {
                "logmesh:kubeconfigs": {"prod-eks-usw2": secure, "prod-gke-euw4": secure},
                "logmesh:alerting": {"alertmanager_url": ALERTMANAGER, "username": "logmesh", "password": secure},
            },
        )
    )
