"""The control matrix and coverage: per SOC 2 criterion, the policies that test it and what each found; which
resources some policy examined and which types none does.

"Evaluated" is what the pack recorded (`Analysis.examined`, see policies/examined.py): the resources whose properties
a policy read. Failed and excepted count distinct resources with a standing violation or an approved exception of
that policy; passed are the evaluated resources with neither; a criterion counts distinct resources over its
policies. A pack that records nothing gives `evaluated=None` ("not recorded"), never a made-up number. Both are
plain data built once, rendered by every format.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from preflight.analyze.findings import Finding, PolicySummary

NO_CRITERION = "no SOC 2 criterion"
# Short titles of the AICPA Trust Services Criteria (2017, points of focus 2022) that logmesh's policies cite.
CRITERIA_TITLES = {
    "CC1.3": "Structures, reporting lines, authorities and responsibilities",
    "CC2.1": "Relevant, quality information supports internal control",
    "CC3.2": "Risks to objectives are identified and analyzed",
    "CC4.2": "Internal control deficiencies are communicated",
    "CC6.1": "Logical access security over protected information assets",
    "CC6.2": "Users are registered and authorized before access is granted",
    "CC6.3": "Access is role-based, least privilege, with segregation of duties",
    "CC6.6": "Protection against threats from outside the system boundaries",
    "CC6.7": "Transmission, movement and removal of information is restricted and protected",
    "CC6.8": "Unauthorized or malicious software is prevented or detected",
    "CC7.1": "Configuration changes that introduce vulnerabilities are detected",
    "CC7.2": "System components are monitored for anomalies",
    "CC7.3": "Security events are evaluated",
    "CC7.4": "Security incidents are responded to",
    "CC7.5": "Recovery from security incidents",
    "CC8.1": "Changes are authorized, tested, approved and implemented",
    "CC9.1": "Risks from business disruption are mitigated",
    "CC9.2": "Risks from vendors and business partners are assessed and managed",
    "A1.1": "Processing capacity and the use of system components are maintained, monitored and evaluated",
    "A1.2": "Environmental protections, backup and recovery infrastructure",
    "C1.1": "Confidential information is identified and protected",
    "C1.2": "Confidential information is disposed of as required",
    "PI1.4": "Outputs are delivered completely, accurately and timely",
    "PI1.5": "Inputs, processing and outputs are stored completely and accurately",
}


@dataclass(frozen=True)
class PolicyResult:
    policy: str
    enforcement: str  # as configured: mandatory, advisory or disabled
    examined: frozenset[str] | None  # URNs; None: the pack records no examined resources
    failed_urns: frozenset[str]
    excepted_urns: frozenset[str]

    @property
    def evaluated(self) -> int | None:
        return len(self.examined) if self.examined is not None else None

    @property
    def passed(self) -> int | None:
        return len(self.examined - self.failed_urns - self.excepted_urns) if self.examined is not None else None

    @property
    def failed(self) -> int:
        return len(self.failed_urns)

    @property
    def exceptions(self) -> int:
        return len(self.excepted_urns)


@dataclass
class Control:
    criterion: str
    policies: list[PolicyResult] = field(default_factory=list)

    @property
    def evaluated(self) -> int | None:
        """Distinct resources that some active policy of the criterion examined."""
        active = [p.examined for p in self.policies if p.enforcement != "disabled"]
        if any(urns is None for urns in active):
            return None
        return len(frozenset().union(*(urns for urns in active if urns is not None)))

    @property
    def failed(self) -> int:
        """Distinct resources with a standing violation of one of its policies."""
        return len(frozenset().union(*(p.failed_urns for p in self.policies)))

    @property
    def exceptions(self) -> int:
        return len(frozenset().union(*(p.excepted_urns for p in self.policies)))

    @property
    def status(self) -> str:
        """failed (a mandatory violation), advisory (advisory violations only), not evaluated (no resource examined,
        or every policy disabled), passed."""
        active = [p for p in self.policies if p.enforcement != "disabled"]
        if any(p.failed and p.enforcement == "mandatory" for p in active):
            return "failed"
        if any(p.failed for p in active):
            return "advisory"
        if not active or self.evaluated == 0:
            return "not evaluated"
        return "passed"


@dataclass(frozen=True)
class Coverage:
    recorded: int
    examined: int | None  # resources some policy examined; None when the pack records nothing
    unexamined_types: list[tuple[str, int]]  # (type, resources) that no policy examined


def criterion_sort_key(criterion: str) -> tuple[int, str, int, int]:
    if criterion == NO_CRITERION:
        return (1, "", 0, 0)
    series, _, number = criterion.partition(".")
    prefix = series.rstrip("0123456789")
    return (0, {"CC": "0"}.get(prefix, prefix), int(series[len(prefix) :] or 0), int(number or 0))


def _urns(findings: Iterable[Finding], policy: str) -> frozenset[str]:
    return frozenset(f.urn for f in findings if f.policy == policy)


def build_controls(
    policies: list[PolicySummary], examined: dict[str, list[str]] | None, violations: list[Finding], exceptions: list[Finding]
) -> list[Control]:
    controls: dict[str, Control] = {}
    for policy in policies:
        result = PolicyResult(
            policy=policy.name,
            enforcement=policy.enforcement,
            examined=frozenset(examined.get(policy.name, [])) if examined is not None else None,
            failed_urns=_urns(violations, policy.name),
            excepted_urns=_urns(exceptions, policy.name),
        )
        for criterion in policy.soc2 or [NO_CRITERION]:
            controls.setdefault(criterion, Control(criterion)).policies.append(result)
    return [controls[c] for c in sorted(controls, key=criterion_sort_key)]


def build_coverage(resources: list[tuple[str, str]], examined: dict[str, list[str]] | None) -> Coverage:
    """`resources` are (urn, type) of the recording; providers and the stack itself count like any resource."""
    if examined is None:
        return Coverage(recorded=len(resources), examined=None, unexamined_types=[])
    seen = {urn for urns in examined.values() for urn in urns}
    by_type = Counter(type_ for _, type_ in resources)
    covered_types = {type_ for urn, type_ in resources if urn in seen}
    unexamined = sorted((t, n) for t, n in by_type.items() if t not in covered_types)
    return Coverage(recorded=len(resources), examined=sum(1 for urn, _ in resources if urn in seen), unexamined_types=unexamined)
