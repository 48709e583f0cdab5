"""The aggregation keys of the stack schema: a tier per store, the outage window, and the combinations refused."""

from __future__ import annotations

from typing import Any

import pytest

from components.config.loading import parse_config
from components.config.schema import ConfigError
from tests.helpers.harness import EXAMPLE_SECRET_NAMES, elk_config, stack_config


def raw(stack: str = "staging") -> dict[str, Any]:
    return {k.split(":", 1)[1]: v for k, v in stack_config(stack).items() if k != "logmesh:kubeconfigs"}


def problems(config: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(config, EXAMPLE_SECRET_NAMES)
    return caught.value.problems


def test_a_store_without_a_tier_has_none_and_the_outage_window_has_a_default() -> None:
    config = raw("dev")
    platform = parse_config(config, EXAMPLE_SECRET_NAMES)
    assert platform.stores[0].aggregation is None
    assert platform.outage_window_hours == 6


def test_fluentd_tier_for_a_store_of_fluent_bit_clusters() -> None:
    config = raw()
    config["stores"][0]["aggregation"] = "fluentd"
    config["outage_window_hours"] = 12
    platform = parse_config(config, EXAMPLE_SECRET_NAMES)
    assert platform.store("aws-main").aggregation == "fluentd"
    assert platform.outage_window_hours == 12


def test_unknown_tier_names_the_key_and_the_choices() -> None:
    config = raw()
    config["stores"][0]["aggregation"] = "vector"
    assert any(p.startswith("logmesh:stores[0].aggregation: Input should be 'fluentd' or 'logstash'") for p in problems(config))


def test_logstash_needs_the_elk_backend() -> None:
    config = raw()
    config["stores"][0]["aggregation"] = "logstash"
    expected = "logmesh:stores[0].aggregation: 'logstash' runs in front of Elasticsearch only; use fluentd with backend loki"
    assert any(p.startswith(expected) for p in problems(config))


def test_logstash_tier_for_an_elk_store_of_fluent_bit_clusters() -> None:
    config = {k.split(":", 1)[1]: v for k, v in elk_config("staging").items() if k != "logmesh:kubeconfigs"}
    config["stores"][0]["aggregation"] = "logstash"
    assert parse_config(config, EXAMPLE_SECRET_NAMES).store("aws-main").aggregation == "logstash"


def test_alloy_cannot_forward_to_a_tier() -> None:
    config = raw()
    config["stores"][1]["aggregation"] = "fluentd"  # gcp-main: stg-gke collects with Alloy
    assert any(
        p.startswith("logmesh:clusters[1].collector: 'alloy' cannot forward to the fluentd tier of store 'gcp-main'")
        for p in problems(config)
    )


@pytest.mark.parametrize("value, expected", [(0, "greater than or equal to 1"), (500, "less than or equal to 168")])
def test_outage_window_is_bounded(value: int, expected: str) -> None:
    config = raw()
    config["outage_window_hours"] = value
    assert any(p.startswith("logmesh:outage_window_hours: ") and expected in p for p in problems(config))
