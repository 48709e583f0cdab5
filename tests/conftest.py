from __future__ import annotations

import os

import pytest

from preflight import cli
from preflight.record.recording import Recording
from tests.helpers.harness import STACKS, example_recording

# The CLI's worker is a fork of a forkserver: with the provider SDKs imported there once, each run in the suite skips
# seconds of imports. A run is still a fresh process.
cli.PRELOAD.extend(["pulumi_aws", "pulumi_gcp", "pulumi_kubernetes", "pulumi_random", "pulumi_tls"])

# Reports carry their time: the suite fixes it (the reproducible-builds variable preflight honours, inherited by every
# CLI child), so tests that compare reports run after run compare what was checked, not the clock.
os.environ["SOURCE_DATE_EPOCH"] = "1764547200"


@pytest.fixture(params=STACKS)
def example(request: pytest.FixtureRequest) -> Recording:
    """Each example stack recorded once per session (the program is deterministic); treat as read-only."""
    return example_recording(request.param)
