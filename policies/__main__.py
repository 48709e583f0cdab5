"""Entry point the Pulumi CLI runs (cwd = policies/): builds the logmesh-soc2 PolicyPack and serves it.

Only builds the pack: PolicyPack starts the analyzer server and never returns, so tests and preflight
import the policies from policies.registry instead."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.registry import ALL_POLICIES

PolicyPack(
    name="logmesh-soc2",
    policies=ALL_POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    description="SOC 2 (2017 TSC) controls for logmesh: log storage, keys, workload identity, Kubernetes collectors and backends.",
    display_name="logmesh SOC 2",
)
