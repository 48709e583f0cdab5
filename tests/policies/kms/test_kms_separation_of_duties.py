"""kms-separation-of-duties on AWS key policies."""

from __future__ import annotations

from collections.abc import Callable

from preflight.analyze.findings import Analysis
from tests.policies.conftest import flagged


def test_aws_key_policies_separate_duties(analyze: Callable[..., Analysis]) -> None:
    assert flagged(analyze("aws_good"), "kms-separation-of-duties") == set()
    assert flagged(analyze("aws_bad"), "kms-separation-of-duties") == {"key-admin-also-uses"}
