from __future__ import annotations

import pytest

from preflight.recorder import Recording
from tests.harness import STACKS, run_stack

_cache: dict[str, Recording] = {}


@pytest.fixture(params=STACKS)
def example(request: pytest.FixtureRequest) -> Recording:
    """Each example stack recorded once per session (the program is deterministic); treat as read-only."""
    name = request.param
    if name not in _cache:
        _cache[name] = run_stack(name)
    return _cache[name]
