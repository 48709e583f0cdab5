"""What the shared Kubernetes builders give every ECK operator release: no telemetry written for Elastic."""

from __future__ import annotations

import pytest

from tests.helpers.harness import STACKS, elk_recording
from tests.helpers.support import plain


@pytest.mark.parametrize("stack", STACKS)
def test_every_eck_operator_has_telemetry_off(stack: str) -> None:
    recording = elk_recording(stack)
    operators = [r for r in recording.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "eck-operator"]
    assert operators
    for operator in operators:
        # eck-operator 3.5.0 renders `disable-telemetry: false` into eck.yaml unless this is set.
        assert plain(operator.inputs)["values"]["telemetry"] == {"disabled": True}, operator.name
