"""collector-and-gap-alert: both findings reported, and the alert kinds it recognises."""

from __future__ import annotations

from collections.abc import Callable

from preflight.analyze.findings import Analysis


def test_missing_collector_and_missing_gap_alert_are_both_reported(analyze: Callable[..., Analysis]) -> None:
    messages = sorted(v.message for v in analyze("k8s_bad").violations if v.policy == "collector-and-gap-alert")
    assert messages == [
        "cluster cluster-without-collector has no log collector",
        "no alert fires on an ingestion gap (absent_over_time, conditionAbsent or missing-data alarm)",
    ]


def test_a_kibana_count_rule_is_an_ingestion_gap_alert(analyze: Callable[..., Analysis]) -> None:
    assert [v.message for v in analyze("k8s_elk_alert").violations if v.policy == "collector-and-gap-alert"] == []
