"""Entry point the Pulumi CLI runs (cwd = policies/): builds the logmesh-soc2 PolicyPack and serves it.

Only builds the pack: PolicyPack starts the analyzer server and never returns, so tests and preflight
import the policies from policies.registry instead."""

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
# The CLI runs this file as a script, which puts policies/ itself first on sys.path; the policy modules are
# imported as the `policies` package from its parent instead, so none can shadow a top-level module.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from policies.registry import ALL_POLICIES  # noqa: E402

PolicyPack(
    name="logmesh-soc2",
    policies=ALL_POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    description="SOC 2 (2017 TSC) controls for logmesh: log storage, keys, workload identity, Kubernetes collectors and backends.",
    display_name="logmesh SOC 2",
)
