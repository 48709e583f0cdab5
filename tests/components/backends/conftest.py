from __future__ import annotations

import pytest

from preflight.record.recording import Recording
from tests.helpers.backend_lookups import VARIANTS, backend_recording
from tests.helpers.harness import LOKI_STACKS, STACKS


def _recorded(key: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Recording]:
    """Each example stack with each backend, its stores as plain values, recorded once."""
    return key[0], key[1], backend_recording(*key, tmp_path_factory.mktemp("backend"))


@pytest.fixture(params=VARIANTS, ids=[f"{s}-{b}" for s, b in VARIANTS])
def recorded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Recording]:
    return _recorded(request.param, tmp_path_factory)


@pytest.fixture(params=LOKI_STACKS)
def loki_recorded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Recording]:
    return _recorded((request.param, "loki"), tmp_path_factory)


@pytest.fixture(params=STACKS)
def elk_recorded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Recording]:
    return _recorded((request.param, "elk"), tmp_path_factory)
