"""`logmesh:tracing`: optional; when set it turns on Jaeger per store and mesh spans at the given sampling rate."""

from __future__ import annotations

from typing import Any

import pytest

from components.config.loading import parse_config
from components.config.schema import ConfigError
from tests.helpers.harness import EXAMPLE_SECRET_NAMES, stack_config


def _raw(tracing: Any) -> dict[str, Any]:
    config = {k.removeprefix("logmesh:"): v for k, v in stack_config("staging").items() if k.startswith("logmesh:")}
    config.pop("tracing", None)
    if tracing is not None:
        config["tracing"] = tracing
    return config


def test_tracing_is_off_unless_set() -> None:
    assert parse_config(_raw(None), EXAMPLE_SECRET_NAMES).tracing is None


def test_tracing_takes_a_sampling_percentage() -> None:
    tracing = parse_config(_raw({"sampling_percent": 5}), EXAMPLE_SECRET_NAMES).tracing
    assert tracing is not None and tracing.sampling_percent == 5.0


def test_tracing_defaults_to_one_percent() -> None:
    tracing = parse_config(_raw({}), EXAMPLE_SECRET_NAMES).tracing
    assert tracing is not None and tracing.sampling_percent == 1.0


@pytest.mark.parametrize(
    ("tracing", "expected"),
    [
        ({"sampling_percent": 101}, "logmesh:tracing.sampling_percent: must be between 0 and 100"),
        ({"sampling_percent": -1}, "logmesh:tracing.sampling_percent: must be between 0 and 100"),
        ({"sampling": 1}, "logmesh:tracing.sampling: unknown key; remove it or check its spelling"),
    ],
)
def test_a_bad_tracing_key_is_named_with_its_fix(tracing: Any, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(_raw(tracing), EXAMPLE_SECRET_NAMES)
    assert len(caught.value.problems) == 1 and caught.value.problems[0].startswith(expected), caught.value.problems
