"""The collector schedule of recording and analysis: young cycles are still collected, and the thresholds return."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest

from preflight.analyze.config import resolve_config
from preflight.analyze.pack import load_policy_pack
from preflight.analyze.servicer import Analyzer
from preflight.heap import YOUNG_ONLY_THRESHOLDS, young_collections_only
from preflight.record.program import record_program
from tests.preflight.conftest import write_pack, write_project


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_young_cycles_are_still_collected_inside() -> None:
    before = gc.get_threshold()
    with young_collections_only():
        assert gc.get_threshold() == YOUNG_ONLY_THRESHOLDS
        cycle = weakref.ref(_Node())
        assert cycle() is not None
        survivors = [[] for _ in range(2 * YOUNG_ONLY_THRESHOLDS[0])]  # enough new objects for a young collection
        assert cycle() is None
        del survivors
    assert gc.get_threshold() == before


def test_thresholds_return_after_an_error() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), young_collections_only():
        raise RuntimeError("the program failed")
    assert gc.get_threshold() == before


THRESHOLD_PROGRAM = """
import gc
import pulumi
import pulumi_aws as aws

aws.s3.Bucket("logs")
pulumi.export("threshold", gc.get_threshold()[0])
"""

THRESHOLD_PACK = """
import gc
from pulumi_policy import EnforcementLevel, PolicyPack, StackValidationPolicy

def threshold(args, report_violation):
    report_violation(f"threshold {gc.get_threshold()[0]}")

PolicyPack("thresholds", enforcement_level=EnforcementLevel.ADVISORY,
           policies=[StackValidationPolicy(name="threshold", description="reports the collector threshold", validate=threshold)])
"""


def test_recording_and_analysis_run_on_the_schedule_and_restore_it(tmp_path: Path) -> None:
    before = gc.get_threshold()
    recording = record_program(write_project(tmp_path / "program", THRESHOLD_PROGRAM), "outside", "dev", {})
    assert recording.stack_outputs["threshold"] == YOUNG_ONLY_THRESHOLDS[0]
    assert gc.get_threshold() == before
    pack = load_policy_pack(write_pack(tmp_path / "pack", THRESHOLD_PACK))
    analysis = Analyzer(pack, resolve_config(pack, {})).analyze(recording)
    assert [v.message for v in analysis.violations] == [f"threshold {YOUNG_ONLY_THRESHOLDS[0]}"]
    assert gc.get_threshold() == before
