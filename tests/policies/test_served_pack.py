"""The pack as the Pulumi CLI runs it: `python __main__.py` in policies/, which prints a port and serves the
analyzer over gRPC. One subprocess, stopped at the end of the module."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from preflight.record.program import struct
from tests.policies.conftest import ROOT, recording


@pytest.fixture(scope="module")
def served() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    process = subprocess.Popen([sys.executable, "__main__.py"], cwd=ROOT / "policies", stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().strip())
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=30)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_cli_sees_every_policy_with_its_metadata(served: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = served.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "logmesh-soc2"
    assert len(info.policies) >= 34 and info.policies[-1].name == "approved-exceptions"
    assert all(p.framework.reference and p.remediation_steps for p in info.policies)


def test_cli_analyze_reports_a_violation(served: analyzer_pb2_grpc.AnalyzerStub) -> None:
    key = next(r for r in recording("aws_bad").resources if r.name == "key-short-window")
    protected = analyzer_pb2.AnalyzerResourceOptions(protect=True)  # so only the deletion-window rule fires
    request = analyzer_pb2.AnalyzeRequest(type=key.type, urn=key.urn, name=key.name, properties=struct(key.inputs), options=protected)
    diagnostics = served.Analyze(request).diagnostics
    assert {d.policyName for d in diagnostics} == {"aws-kms-key-deletion-window"}
    assert diagnostics[0].enforcementLevel == analyzer_pb2.MANDATORY
