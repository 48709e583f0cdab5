from __future__ import annotations

from typing import Any

import pytest

from preflight.record.recording import Recording
from tests.helpers.harness import elk_config, elk_recording, stack_config


@pytest.fixture(params=["staging", "prod"])
def elk_with_filebeat(request: pytest.FixtureRequest) -> Recording:
    """The example stacks that have an Alloy cluster, switched to ELK: that cluster collects with Filebeat."""
    return elk_recording(request.param)


@pytest.fixture(params=["loki", "elk"])
def any_example(request: pytest.FixtureRequest, example: Recording) -> tuple[Recording, dict[str, Any]]:
    """Each example stack as declared and switched to ELK, with the config it was recorded from."""
    if request.param == "loki":
        return example, stack_config(example.stack)
    return elk_recording(example.stack), elk_config(example.stack)
