from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from policies.lib.rendered import RENDERED_BY_PREFLIGHT_ENV
from preflight import cli
from preflight.record.recording import Recording
from tests.helpers.harness import LOKI_STACKS, example_recording

# The CLI's worker is a fork of a forkserver: with the program's and the pack's modules and the SDK packages the
# example stacks use loaded there once (tests/helpers/preload.py), each run in the suite skips up to 20 s of imports.
# A run is still a fresh process.
cli.PRELOAD.append("tests.helpers.preload")

# Reports carry their time: the suite fixes it (the reproducible-builds variable preflight honours, inherited by every
# CLI child), so tests that compare reports run after run compare what was checked, not the clock.
os.environ["SOURCE_DATE_EPOCH"] = "1764547200"


@pytest.fixture(scope="session", autouse=True)
def releases_rendered_as_preflight_does() -> Iterator[None]:
    """Tests analyze recordings as preflight does, which renders the Releases itself (preflight/record/charts.py):
    the pack does not render them again, nor read a developer's .charts/. tests/policies/test_rendered_releases.py
    lifts this to test the pack's own rendering (the `pulumi preview --policy-pack` path)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(RENDERED_BY_PREFLIGHT_ENV, "1")
        yield


# The Loki examples: most `example` tests read Loki's resources. staging-elk is checked where ELK is (elk_recording,
# the backend fixtures, tests/system) and its stores by store_cases.
@pytest.fixture(params=LOKI_STACKS)
def example(request: pytest.FixtureRequest) -> Recording:
    """Each Loki example stack recorded once per session (the program is deterministic); treat as read-only."""
    return example_recording(request.param)
