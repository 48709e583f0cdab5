"""Key deletion: the AWS deletion window also covers replica keys; the messages say what a pack cannot see."""

from __future__ import annotations

from collections.abc import Callable

from preflight.analyze.findings import Analysis
from tests.policies.conftest import flagged


def test_the_deletion_window_covers_replica_keys(analyze: Callable[..., Analysis]) -> None:
    assert flagged(analyze("keys_bad"), "aws-kms-key-deletion-window") == {"replica-short-window"}
    assert flagged(analyze("keys_good"), "aws-kms-key-deletion-window") == set()


def test_unprotected_keys_are_told_that_retain_on_delete_is_invisible(analyze: Callable[..., Analysis]) -> None:
    messages = {v.message for v in analyze("keys_bad").violations if v.policy == "key-deletion-protected"}
    assert messages and all("retain_on_delete cannot be seen" in m for m in messages)


def test_a_one_day_destroy_delay_passes_only_when_the_config_allows_it(analyze: Callable[..., Analysis]) -> None:
    relaxed = analyze("keys_bad", config={"gcp-kms-key-destroy-delay": {"min_destroy_delay_days": 1}})
    assert flagged(relaxed, "gcp-kms-key-destroy-delay") == {"destroy-delay-not-seconds"}
