"""The control matrix in docs/controls.md is generated from the policies' metadata and lives there only."""

from __future__ import annotations

from policies.matrix import CONTROLS_DOC, control_matrix, embedded_matrix
from policies.registry import ALL_POLICIES
from tests.policies.conftest import ROOT


def test_controls_doc_matrix_is_generated_from_the_metadata() -> None:
    assert CONTROLS_DOC == ROOT / "docs" / "controls.md"
    assert embedded_matrix(CONTROLS_DOC.read_text(encoding="utf-8")) == control_matrix(ALL_POLICIES), (
        "regenerate with: python -m policies.matrix --write"
    )


def test_the_pack_readme_carries_no_copy_of_the_matrix() -> None:
    assert embedded_matrix((ROOT / "policies" / "README.md").read_text(encoding="utf-8")) is None


def test_the_project_readme_carries_no_copy_of_the_matrix() -> None:
    assert embedded_matrix((ROOT / "README.md").read_text(encoding="utf-8")) is None
