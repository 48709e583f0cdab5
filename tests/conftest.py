from __future__ import annotations

import pytest

from preflight.record.recording import Recording
from tests.helpers.harness import STACKS, example_recording


@pytest.fixture(params=STACKS)
def example(request: pytest.FixtureRequest) -> Recording:
    """Each example stack recorded once per session (the program is deterministic); treat as read-only."""
    return example_recording(request.param)
